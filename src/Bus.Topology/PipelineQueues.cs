using Bus.Stages;
using Bus.Transport.AmazonSqs;

namespace Bus.Topology;

/// <summary>
/// Every queue the stages share (the ones whose name does not depend on the host: a serving host's own queue is watched
/// by that host), each with its failure queues.
/// </summary>
public static class PipelineQueues
{
    /// <summary>(queue, the queue it belongs to, kind) without the scope: kind is <c>queue</c>, <c>error</c>, <c>skipped</c> or <c>dlq</c>.</summary>
    public static IReadOnlyList<(string Queue, string Of, string Kind)> Shared() =>
        PipelineStages.All.SelectMany(s => s.Topology.Endpoints).Where(e => e.QueueFor("a") == e.QueueFor("b")).Select(e => e.QueueFor(""))
            .Distinct(StringComparer.Ordinal)
            .SelectMany(q => new[]
            {
                (q, q, "queue"),
                (FailureQueues.NameFor(q, FailureQueue.Error), q, "error"),
                (FailureQueues.NameFor(q, FailureQueue.Skipped), q, "skipped"),
                (FailureQueues.NameFor(q, FailureQueue.DeadLetter), q, "dlq"),
            })
            .ToList();
}
