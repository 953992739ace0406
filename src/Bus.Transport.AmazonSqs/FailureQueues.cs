using MassTransit;

namespace Bus.Transport.AmazonSqs;

/// <summary>
/// The one place that names a receive endpoint's failure queues (<c>&lt;queue&gt;_error</c>, <c>_skipped</c>, <c>_dlq</c>,
/// before a FIFO queue's <c>.fifo</c>) and the message attributes a failed message carries there (MassTransit's own
/// header names, so MassTransit's tooling reads them as it reads its other transports' faults).
/// </summary>
public static class FailureQueues
{
    /// <summary>The attributes a move to a failure queue adds; a redrive removes exactly these.</summary>
    public static IReadOnlySet<string> FaultAttributes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        MessageHeaders.Reason,
        MessageHeaders.FaultExceptionType,
        MessageHeaders.FaultMessage,
        MessageHeaders.FaultStackTrace,
        MessageHeaders.FaultTimestamp,
        MessageHeaders.FaultInputAddress,
    };

    public static string Suffix(FailureQueue kind) => kind switch
    {
        FailureQueue.Error => "_error",
        FailureQueue.Skipped => "_skipped",
        FailureQueue.DeadLetter => "_dlq",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a failure queue"),
    };

    /// <summary>The (unscoped) name of <paramref name="queue"/>'s failure queue of that kind.</summary>
    public static string NameFor(string queue, FailureQueue kind)
    {
        var fifo = EntityNames.IsFifo(queue);
        var core = fifo ? queue[..^EntityNames.FifoSuffix.Length] : queue;
        return core + Suffix(kind) + (fifo ? EntityNames.FifoSuffix : string.Empty);
    }

    /// <summary>Which failure queue <paramref name="queueName"/> is, or null for an ordinary queue.</summary>
    public static FailureQueue? KindOf(string queueName)
    {
        var core = EntityNames.IsFifo(queueName) ? queueName[..^EntityNames.FifoSuffix.Length] : queueName;
        foreach (var kind in Enum.GetValues<FailureQueue>())
        {
            if (core.EndsWith(Suffix(kind), StringComparison.Ordinal))
                return kind;
        }

        return null;
    }
}
