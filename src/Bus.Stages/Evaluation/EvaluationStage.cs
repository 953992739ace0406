using Bus.Contracts;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bus.Stages.Evaluation;

/// <summary>
/// Evaluation: takes <c>EvaluateModel</c> from its queue, evaluates the candidate (and the champion) on the governed set
/// and publishes <c>ModelEvaluated</c> or <c>EvaluationFailed</c>.
/// </summary>
public sealed class EvaluationStage() : PipelineStage(StageName, "evaluates candidates (and the champion) on governed data")
{
    public const string StageName = "evaluation";

    public override StageTopology Topology { get; } = new([EndpointTopology.Of<EvaluateModelConsumer>(EvaluateModelConsumerDefinition.QueueName)],
        [typeof(ModelEvaluated), typeof(EvaluationFailed)], [], StageStorage.ReadsArtifacts | StageStorage.ReadsEvaluationData);

    public override IReadOnlyList<string> Meters { get; } = [StageMetrics.MeterName];

    protected override void Register(IBusRegistrationConfigurator x, StageSettings settings)
    {
        StageDependencies.TryAdd(x, settings);
        x.TryAddSingleton<CandidateEvaluator>();
        x.AddConsumer<EvaluateModelConsumer, EvaluateModelConsumerDefinition>();
    }
}
