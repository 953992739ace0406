namespace Bus.Stages;

/// <summary>What a stage reads and writes in S3, resolved from the hosts' configuration.</summary>
[Flags]
public enum StageStorage
{
    None = 0,

    /// <summary>Model artifacts, from the allow-listed artifact locations (<c>Bus:Evaluation:…:ArtifactLocations</c>).</summary>
    ReadsArtifacts = 1,

    /// <summary>The governed evaluation sets, and producer data where a model's policy allows it.</summary>
    ReadsEvaluationData = 2,

    /// <summary>The data sets under <c>Bus:Tagging:Datasets</c>, and their <c>tags/</c> prefix it writes.</summary>
    TagsDatasets = 4,
}

/// <summary>
/// The SNS/SQS and S3 footprint of one stage: its endpoints, the message types it publishes, the queues it sends to and
/// its storage. The generated IAM policies (<c>bus iam-policy</c>) and the CloudFormation export (<c>bus topology
/// export</c>) are made from it; a test records every AWS call of each stage and checks them against the policy.
/// </summary>
public sealed record StageTopology(IReadOnlyList<EndpointTopology> Endpoints, IReadOnlyList<Type> Publishes, IReadOnlyList<string> SendsTo,
    StageStorage Storage = StageStorage.None)
{
    /// <summary>Whether it asks and answers requests (the lifecycle API asks the saga for a status): temporary queues.</summary>
    public bool Responds { get; init; }

    /// <summary>Whether it schedules messages to its own endpoints (delayed sends to its own queue).</summary>
    public bool Schedules { get; init; }

    /// <summary>Whether it shows every stage's queue and failure-queue depths (the lifecycle's dashboard).</summary>
    public bool WatchesQueues { get; init; }
}
