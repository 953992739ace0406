namespace Bus.Cli.Topology;

/// <summary>What `bus topology` reads: the stage topics with their queues, the other queues, and the stages with no topic yet.</summary>
sealed record PipelineTopology(string Scope, string Endpoint, string Region, IReadOnlyList<TopicView> Topics, IReadOnlyList<QueueDepth> OtherQueues,
    IReadOnlyList<string> StagesWithoutTopic);
