using System.Diagnostics.Metrics;

namespace Bus.Persistence.Outbox;

/// <summary>The outbox's instruments, on the meter <see cref="MeterName"/>.</summary>
public static class OutboxMetrics
{
    public const string MeterName = "Bus.Outbox";
    static readonly Meter Meter = new(MeterName);
    internal static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("bus.outbox.delivery.latency", "ms",
        "Time from commit to send, per message");
    internal static readonly Counter<long> Delivered = Meter.CreateCounter<long>("bus.outbox.delivered", description: "Messages sent from the outbox");
    internal static readonly Counter<long> Failures = Meter.CreateCounter<long>("bus.outbox.failures",
        description: "Outbox deliveries that failed and were rescheduled");
    internal static readonly Counter<long> DeadOutboxes = Meter.CreateCounter<long>("bus.outbox.dead",
        description: "Outboxes set aside: the broker refused a message for good");

    internal static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(15);
    static OutboxBacklog? _backlog;

    static OutboxMetrics()
    {
        Meter.CreateObservableGauge("bus.outbox.backlog", () => _backlog?.Pending ?? 0, "{outbox}",
            "Committed outboxes not yet delivered (sampled by each host's delivery service)");
        Meter.CreateObservableGauge("bus.outbox.oldest_age",
            () => _backlog?.Oldest is { } oldest ? Math.Max(0, (DateTimeOffset.UtcNow - oldest).TotalSeconds) : 0, "s", "Age of the oldest undelivered outbox");
        Meter.CreateObservableGauge("bus.outbox.dead_pending", () => _backlog?.Dead ?? 0, "{outbox}", "Outboxes set aside as dead, waiting for an operator");
    }

    internal static void Sample(OutboxBacklog backlog) => _backlog = backlog;
}
