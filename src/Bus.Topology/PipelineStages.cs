using Bus.Contracts;
using Bus.Pipeline;
using Bus.Stages;

namespace Bus.Topology;

/// <summary>
/// The footprint of every stage a host can run, by the name <c>Bus:Host:Stages</c> uses (the host's <c>StageCatalog</c>
/// has one entry per name here, which a test holds to): which queues it receives from (the consumed types are read from
/// the consumer or state machine), what it publishes and where it sends.
/// </summary>
public static class PipelineStages
{
    public const string Lifecycle = "lifecycle";
    public const string Evaluation = "evaluation";
    public const string Deployment = "deployment";
    public const string Serving = "serving";
    public const string Tagging = "tagging";

    static readonly ModelLifecycleOptions LifecycleDefaults = new();

    public static IReadOnlyDictionary<string, StageTopology> All { get; } = new Dictionary<string, StageTopology>(StringComparer.Ordinal)
    {
        // The lifecycle API (status, rollback, approve, reject) is served by hosts that run the lifecycle: its messages are part of it.
        [Lifecycle] = new([EndpointTopology.OfStateMachine<ModelLifecycleStateMachine>(ModelLifecycleStateDefinition.QueueName)],
            [typeof(ModelApproved), typeof(ModelRejected), typeof(ModelSuperseded), typeof(ModelRolledBack), typeof(RollbackRejected),
                typeof(RestoreChampion), typeof(ApprovalRefused), typeof(RollbackModel), typeof(ApproveModel), typeof(RejectModel)],
            [LifecycleDefaults.EvaluationQueue, LifecycleDefaults.DeploymentQueue, ModelLifecycleStateDefinition.QueueName])
        { Responds = true, Schedules = true, WatchesQueues = true },
        [Evaluation] = new([EndpointTopology.Of<EvaluateModelConsumer>(EvaluateModelConsumerDefinition.QueueName)],
            [typeof(ModelEvaluated), typeof(EvaluationFailed)], [], StageStorage.ReadsArtifacts | StageStorage.ReadsEvaluationData),
        [Deployment] = new([EndpointTopology.Of<DeployModelConsumer>(DeployModelConsumerDefinition.QueueName)],
            [typeof(ModelDeployed), typeof(DeploymentFailed)], [], StageStorage.ReadsArtifacts)
        { Includes = [Serving] },
        [Serving] = new([EndpointTopology.Of<ServeChampionConsumer>(ServeChampionConsumer.EndpointFor)], [], [], StageStorage.ReadsArtifacts),
        [Tagging] = new([EndpointTopology.Of<TagDatasetConsumer>(TagDatasetConsumerDefinition.QueueName)], [], [],
            StageStorage.ReadsArtifacts | StageStorage.TagsDatasets),
    };
}
