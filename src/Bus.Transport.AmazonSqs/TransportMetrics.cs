using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Bus.Transport.AmazonSqs;

/// <summary>
/// The transport's own meter (<c>Bus.Transport.AmazonSqs</c>): AWS requests by kind (the polling bill), and per queue
/// (<c>messaging.destination.name</c>) what an operator pages on: depth and in-flight messages, consumer lag, how long
/// processing takes and how it ended, redeliveries, visibility extensions and moves to the failure queues. MassTransit's
/// meter (<c>MassTransit</c>) adds its receive and consume counts, faults and durations per endpoint and consumer.
/// </summary>
public static class TransportMetrics
{
    public const string MeterName = "Bus.Transport.AmazonSqs";
    public const string QueueTag = "messaging.destination.name";
    static readonly Meter Meter = new(MeterName);
    static readonly ConcurrentDictionary<string, QueueSample> Samples = new(StringComparer.Ordinal);

    public static readonly Counter<long> ReceiveRequests = Meter.CreateCounter<long>("bus.sqs.receive.requests", "{request}", "ReceiveMessage calls");
    public static readonly Counter<long> EmptyReceives = Meter.CreateCounter<long>("bus.sqs.receive.empty", "{request}",
        "ReceiveMessage calls that returned nothing");
    public static readonly Counter<long> MessagesReceived = Meter.CreateCounter<long>("bus.sqs.messages.received", "{message}", "Messages received, per queue");
    public static readonly Counter<long> DeleteRequests = Meter.CreateCounter<long>("bus.sqs.delete.requests", "{request}", "DeleteMessage(Batch) calls");
    public static readonly Counter<long> SendRequests = Meter.CreateCounter<long>("bus.sqs.send.requests", "{request}");
    public static readonly Counter<long> PublishRequests = Meter.CreateCounter<long>("bus.sns.publish.requests", "{request}");
    public static readonly Counter<long> Refused = Meter.CreateCounter<long>("bus.sqs.ingress.refused", "{message}",
        "Ingress messages refused to the error queue (envelope, content type, wrong shape)");
    public static readonly Counter<long> VisibilityExtensions = Meter.CreateCounter<long>("bus.sqs.visibility.extensions", "{request}",
        "Visibility timeouts extended for messages still being processed, per queue");
    public static readonly Counter<long> Redelivered = Meter.CreateCounter<long>("bus.sqs.messages.redelivered", "{message}",
        "Messages received again (ApproximateReceiveCount > 1): a host died, timed out or handed them back");
    public static readonly Counter<long> Moved = Meter.CreateCounter<long>("bus.sqs.messages.moved", "{message}",
        "Messages moved to a failure queue (bus.failure_queue: error after the retries, skipped when no consumer takes it)");
    public static readonly Histogram<double> ProcessDuration = Meter.CreateHistogram<double>("bus.sqs.process.duration", "s",
        "From receive to settled, per queue and outcome (processed, faulted, skipped, refused)");
    public static readonly Histogram<double> Lag = Meter.CreateHistogram<double>("bus.sqs.message.lag", "s",
        "Consumer lag: from the message's SentTimestamp to its receive, per queue");

    static TransportMetrics()
    {
        Meter.CreateObservableGauge("bus.sqs.queue.depth", () => Observe(s => s.Visible), "{message}",
            "Messages waiting (ApproximateNumberOfMessages), sampled by the hosts that receive from the queue");
        Meter.CreateObservableGauge("bus.sqs.queue.in_flight", () => Observe(s => s.InFlight), "{message}",
            "Messages received and not yet deleted (ApproximateNumberOfMessagesNotVisible)");
        Meter.CreateObservableGauge("bus.sqs.queue.delayed", () => Observe(s => s.Delayed), "{message}",
            "Messages not yet visible because they were sent with a delay (ApproximateNumberOfMessagesDelayed)");
        Meter.CreateObservableGauge("bus.sqs.queue.oldest_age", () => Samples.Select(s =>
                new Measurement<double>(s.Value.OldestAgeSeconds, new KeyValuePair<string, object?>(QueueTag, s.Key))), "s",
            "Age (from SentTimestamp) of the oldest message in this host's latest receive from the queue");
    }

    public static KeyValuePair<string, object?> Queue(string queue) => new(QueueTag, queue);

    /// <summary>A sample of a queue's depth (GetQueueAttributes), kept for the gauges.</summary>
    internal static void SampleDepth(string queue, long visible, long inFlight, long delayed) =>
        Samples.AddOrUpdate(queue, _ => new QueueSample(visible, inFlight, delayed, 0),
            (_, s) => s with { Visible = visible, InFlight = inFlight, Delayed = delayed });

    internal static void SampleOldestAge(string queue, double seconds) =>
        Samples.AddOrUpdate(queue, _ => new QueueSample(0, 0, 0, seconds), (_, s) => s with { OldestAgeSeconds = seconds });

    /// <summary>The latest sample of every queue this process receives from (what the dashboard shows).</summary>
    public static IReadOnlyList<(string Queue, long Visible, long InFlight, long Delayed, double OldestAgeSeconds)> Snapshot() =>
        Samples.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value.Visible, s.Value.InFlight, s.Value.Delayed, s.Value.OldestAgeSeconds))
            .ToList();

    static IEnumerable<Measurement<long>> Observe(Func<QueueSample, long> value) =>
        Samples.Select(s => new Measurement<long>(value(s.Value), new KeyValuePair<string, object?>(QueueTag, s.Key)));

    sealed record QueueSample(long Visible, long InFlight, long Delayed, double OldestAgeSeconds);
}
