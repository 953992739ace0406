using Bus.Contracts;
using Bus.Shared;
using MassTransit;

namespace Bus.Stages.Tagging;

/// <summary>
/// Tagging: hears each <c>model-deployed</c> on its own queue and labels the data sets under <c>Bus:Tagging:Datasets</c>
/// with the new champion's predictions (their <c>tags/</c> prefix in S3).
/// </summary>
public sealed class TaggingStage() : PipelineStage(StageName, "labels a data set with each new champion")
{
    public const string StageName = "tagging";

    public override StageTopology Topology { get; } = new([EndpointTopology.Of<TagDatasetConsumer>(TagDatasetConsumerDefinition.QueueName)], [], [],
        StageStorage.ReadsArtifacts | StageStorage.TagsDatasets);

    protected override void Register(IBusRegistrationConfigurator x, StageSettings settings)
    {
        StageDependencies.TryAdd(x, settings);
        x.AddValidatedOptions<TaggingOptions, TaggingOptionsValidator>(TaggingOptions.SectionName);
        x.AddConsumer<TagDatasetConsumer, TagDatasetConsumerDefinition>();
    }
}
