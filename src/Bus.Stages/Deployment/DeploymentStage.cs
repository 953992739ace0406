using Bus.Contracts;
using Bus.Stages.Serving;
using MassTransit;

namespace Bus.Stages.Deployment;

/// <summary>
/// Deployment, which also serves: takes <c>DeployModel</c>, moves the production alias in the registry and publishes
/// <c>ModelDeployed</c>; the host's own <c>model-deployed</c> queue (named for <see cref="StageSettings.HostName"/>) keeps
/// every serving host on the production alias wherever the deployment ran. Give each serving host a distinct, stable
/// name (<c>Bus:Host:Name</c>).
/// </summary>
public sealed class DeploymentStage() : PipelineStage(StageName, "moves the production alias and serves it")
{
    public const string StageName = "deployment";

    public override StageTopology Topology { get; } = new([EndpointTopology.Of<DeployModelConsumer>(DeployModelConsumerDefinition.QueueName)],
        [typeof(ModelDeployed), typeof(DeploymentFailed)], [], StageStorage.ReadsArtifacts);

    public override IReadOnlyList<PipelineStage> Includes { get; } = [ServingStage.Instance];

    protected override void Register(IBusRegistrationConfigurator x, StageSettings settings)
    {
        StageDependencies.TryAdd(x, settings);
        x.AddConsumer<DeployModelConsumer, DeployModelConsumerDefinition>();
    }
}
