using Bus.Contracts;
using Bus.Stages;
using Bus.Transport.AmazonSqs;
using Bus.Transport.AmazonSqs.Topology;

namespace Bus.Topology.Iam;

/// <summary>
/// The least-privilege identity policy of each role, made from <see cref="PipelineStages"/>: a host role
/// (one per stage) receives from its own queues, subscribes them to the topics of what they consume, publishes what it
/// publishes and sends where it sends; the producer announces on <c>training-complete</c> and uploads artifacts; the
/// operator runs the CLI (approve, reject, rollback, topology, errors, audit anchors). docs/iam.md lists them for the demo.
/// </summary>
public static class RolePolicies
{
    public const string Producer = "producer";
    public const string Operator = "operator";

    /// <summary>Every role: the stages of the catalog, the producer and the operator.</summary>
    public static IReadOnlyList<string> Roles { get; } = [Producer, .. PipelineStages.All.Select(s => s.Name), Operator];

    /// <summary>The topics the operator's commands publish to (and the lifecycle API, on hosts that run the lifecycle).</summary>
    public static IReadOnlyList<Type> OperatorCommands { get; } = [typeof(ApproveModel), typeof(RejectModel), typeof(RollbackModel), typeof(RolloutCommand)];

    /// <summary>What is published only while a version rolls out on live traffic (a canary or shadow policy).</summary>
    public static IReadOnlyList<Type> RolloutEvents { get; } =
        [typeof(RolloutStepStarted), typeof(RolloutEnded), typeof(RolloutCommandRefused), typeof(ServingReport)];

    /// <summary>Messages published only when something fails or is refused: a run that goes well never publishes them.</summary>
    static readonly HashSet<Type> Refusals =
    [
        typeof(EvaluationFailed), typeof(DeploymentFailed), typeof(RollbackRejected), typeof(ApprovalRefused), typeof(ModelRolledBack),
        typeof(RestoreChampion),
    ];

    public static IamPolicy For(string role, IamSettings settings)
    {
        var names = new Names(settings);
        var statements = role switch
        {
            Producer => ProducerStatements(names, settings),
            Operator => OperatorStatements(names, settings),
            _ => StageStatements(PipelineStages.Named(role)
                ?? throw new ArgumentException($"unknown role '{role}': one of {string.Join(", ", Roles)}", nameof(role)), names, settings),
        };
        return new IamPolicy(role, statements.Where(s => s.Resources.Count > 0 && s.Actions.Count > 0).ToList());
    }

    /// <summary>The topic a message type is published to (its stage's name, else the namespace and type name).</summary>
    public static string TopicOf(Type messageType) => StageAttribute.TopicNameOf(messageType) ?? DefaultTopicNameFormatter.NameOf(messageType);

    static IEnumerable<IamStatement> ProducerStatements(Names n, IamSettings settings)
    {
        yield return new("AnnounceTrainingComplete", n.PublishActions, [n.Topic(TopicOf(typeof(TrainingCompleted)))]);
        yield return new("UploadArtifacts", ["s3:PutObject"], S3Locations.Artifacts(settings).Select(n.S3).Distinct().ToList());
    }

    static IEnumerable<IamStatement> StageStatements(PipelineStage stage, Names n, IamSettings settings)
    {
        var topology = new[] { stage }.Concat(stage.Includes).Select(s => s.Topology).ToList();
        var queues = topology.SelectMany(t => t.Endpoints).SelectMany(e => settings.HostNames.Select(e.QueueFor).Distinct().Select(q => (Queue: q, e.Consumes)))
            .DistinctBy(x => x.Queue).ToList();

        var receive = new List<string> { "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes" };
        receive.AddRange(settings.Provisioned ? ["sqs:GetQueueUrl"] : ["sqs:CreateQueue", "sqs:SetQueueAttributes"]);
        yield return new("ReceiveOwnQueues", receive, queues.Select(q => n.Queue(q.Queue)).ToList());
        yield return new("ExtendOrReturnMessages", ["sqs:ChangeMessageVisibility"], queues.Select(q => n.Queue(q.Queue)).ToList(),
            "a message is held longer than its visibility timeout, or handed back for a retry");
        if (!settings.Provisioned)
        {
            yield return new("CreateDeadLetterQueues", ["sqs:CreateQueue", "sqs:GetQueueAttributes"],
                queues.Select(q => n.Queue(FailureQueues.NameFor(q.Queue, FailureQueue.DeadLetter))).ToList());
            yield return new("SubscribeOwnQueues", ["sns:CreateTopic", "sns:Subscribe"],
                queues.SelectMany(q => q.Consumes).Select(TopicOf).Distinct().Order(StringComparer.Ordinal).Select(n.Topic).ToList());
        }

        yield return new("MoveFailedMessages", ["sqs:SendMessage", "sqs:GetQueueAttributes", settings.Provisioned ? "sqs:GetQueueUrl" : "sqs:CreateQueue"],
            queues.SelectMany(q => new[] { FailureQueue.Error, FailureQueue.Skipped }.Select(k => n.Queue(FailureQueues.NameFor(q.Queue, k)))).ToList(),
            "a message fails after its retries (_error) or no consumer takes it (_skipped)");

        var published = topology.SelectMany(t => t.Publishes).Distinct().ToList();
        yield return new("Publish", n.PublishActions,
            published.Where(t => !Refusals.Contains(t) && !OperatorCommands.Contains(t) && !RolloutEvents.Contains(t)).Select(t => n.Topic(TopicOf(t)))
                .ToList());
        yield return new("PublishRolloutEvents", n.PublishActions, published.Where(RolloutEvents.Contains).Select(t => n.Topic(TopicOf(t))).ToList(),
            "a version rolls out on live traffic (its steps and end, refused rollout commands; serving replicas' reports)");
        yield return new("RelayOperatorRequests", n.PublishActions, published.Where(OperatorCommands.Contains).Select(t => n.Topic(TopicOf(t))).ToList(),
            "an operator uses the lifecycle API, or this host's outbox delivery sends a request `bus approve|reject|rollback|rollout` stored");
        yield return new("PublishRefusals", n.PublishActions, published.Where(Refusals.Contains).Select(t => n.Topic(TopicOf(t))).ToList(),
            "something fails or is refused (a failed evaluation or deployment, a refused rollback or approval, a rollback)");
        // Its own queues are known from receiving; only others' are looked up.
        var own = queues.Select(q => q.Queue).ToHashSet(StringComparer.Ordinal);
        var targets = topology.SelectMany(t => t.SendsTo).Distinct().ToList();
        yield return new("Send", ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
            targets.Where(q => !own.Contains(q)).Select(n.Queue).ToList());
        yield return new("SendToOwnQueues", ["sqs:SendMessage"], targets.Where(own.Contains).Select(n.Queue).ToList());

        // A bus makes its temporary queue when it first asks something and waits for the answer: the lifecycle API's status
        // requests. The lifecycle also answers there (other lifecycle hosts' API requests included).
        if (topology.Any(t => t.Responds))
        {
            yield return new("OwnTemporaryQueue", ["sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:DeleteQueue"],
                [n.TemporaryQueues], "someone asks the lifecycle API for a version's status (the answer comes back on the host's temporary queue)");
            yield return new("AnswerRequests", ["sqs:SendMessage", "sqs:GetQueueUrl"], [n.TemporaryQueues], "a host asks for a version's status");
        }

        if (topology.Any(t => t.WatchesQueues))
        {
            yield return new("WatchPipelineQueues", ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
                PipelineQueues.Shared().Select(q => n.Queue(q.Queue)).ToList(), "an operator has the dashboard open (queue and failure-queue depths)");
        }

        var storage = topology.Aggregate(StageStorage.None, (a, t) => a | t.Storage);
        if (storage.HasFlag(StageStorage.ReadsArtifacts))
            yield return new("ReadArtifacts", ["s3:GetObject"], S3Locations.Artifacts(settings).Select(n.S3).Distinct().ToList());
        if (storage.HasFlag(StageStorage.ReadsEvaluationData))
        {
            yield return new("ReadGovernedEvaluationSets", ["s3:GetObject"], S3Locations.GovernedSets(settings).Select(n.S3).Distinct().ToList());
            yield return new("ReadProducerData", ["s3:GetObject"], S3Locations.ProducerData(settings).Select(n.S3).Distinct().ToList(),
                "a model's policy allows producer-supplied data and a producer names some");
        }

        if (storage.HasFlag(StageStorage.TagsDatasets))
        {
            yield return new("ReadDatasetsToTag", ["s3:GetObject"], settings.Tagging.Datasets.Values.Select(n.S3).Distinct().ToList());
            yield return new("WriteTags", ["s3:PutObject"], S3Locations.Tags(settings).Select(n.S3).Distinct().ToList());
        }
    }

    static IEnumerable<IamStatement> OperatorStatements(Names n, IamSettings settings)
    {
        yield return new("RequestDecisions", n.PublishActions, OperatorCommands.Select(t => n.Topic(TopicOf(t))).ToList(),
            "`bus approve|reject|rollback|rollout` delivers the request it stored in the lifecycle's outbox (unless a lifecycle host's delivery " +
            "sends it first)");
        yield return new("ReadTopology", ["sqs:GetQueueAttributes"], [n.AllQueues]);
        yield return new("ReadSubscriptions", ["sns:ListSubscriptionsByTopic"], [n.AllTopics]);

        // AWS authorises these two per account, never per resource: they list names, nothing else.
        yield return new("ListNames", ["sqs:ListQueues", "sns:ListTopics"], ["*"]);
        yield return new("InspectAndRedriveFailures", ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage"], [n.FailureQueues(FailureQueue.Error), n.FailureQueues(FailureQueue.Skipped), n.FailureQueues(FailureQueue.DeadLetter)],
            "`bus errors` lists or redrives failed messages");
        yield return new("RedriveToOrigin", ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage"], [n.AllQueues],
            "`bus errors --redrive` sends failed messages back to their queue");

        var anchors = n.Expand(settings.AnchorLocation);
        yield return new("WriteAuditAnchors", ["s3:PutObject", "s3:GetObject"], [n.S3(anchors)]);
        yield return new("LockAuditAnchors", ["s3:PutObjectRetention"], [n.S3(anchors)],
            "the anchor bucket has Object Lock (retention is written with the anchor)");
        yield return new("ReadAnchorBucketLock", ["s3:GetBucketObjectLockConfiguration"], [n.Bucket(anchors)]);
        yield return new("PublishGovernedEvaluationSets", ["s3:PutObject"], S3Locations.GovernedSets(settings).Select(n.S3).Distinct().ToList(),
            "an operator publishes a governed evaluation set (`train.mjs --evaluation-set`)");
    }

    /// <summary>ARNs of this pipeline's entities: names get the scope, templates get <c>{scope}</c> and <c>{model}</c> (any model: <c>*</c>).</summary>
    sealed class Names(IamSettings settings)
    {
        string Prefix => string.IsNullOrEmpty(settings.Scope) ? "" : settings.Scope + "-";

        public IReadOnlyList<string> PublishActions { get; } = settings.Provisioned ? ["sns:Publish"] : ["sns:CreateTopic", "sns:Publish"];

        public string Queue(string name) => AwsArns.Queue(settings.Region, settings.Account, EntityNames.Queue(name, settings.Scope));

        public string Topic(string name) => AwsArns.Topic(settings.Region, settings.Account, EntityNames.Topic(name, settings.Scope));

        public string TemporaryQueues => AwsArns.Queue(settings.Region, settings.Account, Prefix + EntityNames.TemporaryQueuePrefix + "*");

        public string AllQueues => AwsArns.Queue(settings.Region, settings.Account, Prefix + "*");

        public string AllTopics => AwsArns.Topic(settings.Region, settings.Account, Prefix + "*");

        public string FailureQueues(FailureQueue kind) =>
            AwsArns.Queue(settings.Region, settings.Account, Prefix + "*" + Transport.AmazonSqs.FailureQueues.Suffix(kind));

        public string Expand(string template) => template.Replace("{scope}", Prefix, StringComparison.Ordinal);

        /// <summary>An s3:// object or prefix (ending in '/': everything under it) as an ARN.</summary>
        public string S3(string uri)
        {
            var path = Expand(uri).Replace("{model}", "*", StringComparison.Ordinal);
            path = path.StartsWith("s3://", StringComparison.Ordinal) ? path["s3://".Length..] : path;
            return AwsArns.S3(settings.Region, path.EndsWith('/') ? path + "*" : path);
        }

        public string Bucket(string uri)
        {
            var path = Expand(uri)["s3://".Length..];
            return AwsArns.S3(settings.Region, path.Split('/')[0]);
        }
    }
}
