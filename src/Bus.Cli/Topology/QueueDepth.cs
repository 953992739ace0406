using Bus.Transport.AmazonSqs;

namespace Bus.Cli.Topology;

/// <summary>A queue of the pipeline and how many messages wait in it (visible, in flight, delayed).</summary>
sealed record QueueDepth(string Name, string Arn, long Visible, long InFlight, long Delayed)
{
    /// <summary>_error (failed after retries), _skipped (no consumer took it), _dlq (SQS's redrive: received too often without being deleted).</summary>
    public string? Holds => FailureQueues.KindOf(Name) switch
    {
        FailureQueue.Error => "failed after their retries; each carries the exception in its attributes",
        FailureQueue.Skipped => "no consumer on the endpoint took them",
        FailureQueue.DeadLetter => "SQS moved them after too many receives without a delete (a consumer host crashing on them?)",
        _ => null,
    };
}
