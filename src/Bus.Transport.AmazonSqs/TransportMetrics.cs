using System.Diagnostics.Metrics;

namespace Bus.Transport.AmazonSqs;

/// <summary>
/// The transport's own meter (<c>Bus.Transport.AmazonSqs</c>): AWS requests by kind, so the polling bill and
/// throughput can be watched (add the meter to OpenTelemetry).
/// </summary>
public static class TransportMetrics
{
    public const string MeterName = "Bus.Transport.AmazonSqs";
    static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> ReceiveRequests = Meter.CreateCounter<long>("bus.sqs.receive.requests", description: "ReceiveMessage calls");
    public static readonly Counter<long> EmptyReceives = Meter.CreateCounter<long>("bus.sqs.receive.empty",
        description: "ReceiveMessage calls that returned nothing");
    public static readonly Counter<long> MessagesReceived = Meter.CreateCounter<long>("bus.sqs.messages.received");
    public static readonly Counter<long> DeleteRequests = Meter.CreateCounter<long>("bus.sqs.delete.requests", description: "DeleteMessage(Batch) calls");
    public static readonly Counter<long> SendRequests = Meter.CreateCounter<long>("bus.sqs.send.requests");
    public static readonly Counter<long> PublishRequests = Meter.CreateCounter<long>("bus.sns.publish.requests");
    public static readonly Counter<long> Refused = Meter.CreateCounter<long>("bus.sqs.ingress.refused",
        description: "Ingress messages refused to the error queue (envelope, content type, wrong shape)");
    public static readonly Counter<long> VisibilityExtensions = Meter.CreateCounter<long>("bus.sqs.visibility.extensions");
}
