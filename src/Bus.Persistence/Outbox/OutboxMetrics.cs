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
}
