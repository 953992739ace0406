using System.Diagnostics;

namespace Bus.Transport.AmazonSqs;

/// <summary>
/// The transport's own spans, after OpenTelemetry's messaging conventions for SQS and SNS: <c>publish TOPIC</c> and
/// <c>send QUEUE</c> (producer), <c>receive QUEUE</c> (client, only for receives that returned messages), <c>process
/// QUEUE</c> (consumer, the parent of MassTransit's own receive and consume spans, itself the child of the producer's
/// span the message carries in its <c>traceparent</c> and <c>tracestate</c> attributes) and <c>settle QUEUE</c> (client:
/// delete, or the hand-back of a failed message). Add <see cref="SourceName"/> to the tracer provider.
/// </summary>
public static class TransportTracing
{
    public const string SourceName = "Bus.Transport.AmazonSqs";
    public const string Sqs = "aws_sqs";
    public const string Sns = "aws.sns";

    internal static readonly ActivitySource Source = new(SourceName, typeof(TransportTracing).Assembly.GetName().Version?.ToString());

    /// <summary>A publish or send: a producer span whose context the message carries.</summary>
    internal static Activity? StartProducer(string system, string operation, string destination, string resourceKey, string? resource, Uri endpoint)
    {
        var activity = Source.StartActivity($"{operation} {destination}", ActivityKind.Producer);
        return activity is null ? null : Tag(activity, system, "send", operation, destination, resourceKey, resource, endpoint);
    }

    /// <summary>A receive that returned messages, from when the call began.</summary>
    internal static void Received(string queue, string url, Uri endpoint, DateTimeOffset started, int count)
    {
        using var activity = Source.StartActivity($"receive {queue}", ActivityKind.Client, parentContext: default, startTime: started);
        if (activity is null)
            return;
        Tag(activity, Sqs, "receive", "receive", queue, "aws.sqs.queue.url", url, endpoint);
        activity.SetTag("messaging.batch.message_count", count);
    }

    /// <summary>Processing one message: a consumer span, child of the span that sent it (when the message says which).</summary>
    internal static Activity? StartProcess(string queue, string url, Uri endpoint, string messageId, string? traceparent, string? tracestate)
    {
        var parent = traceparent is not null && ActivityContext.TryParse(traceparent, tracestate, isRemote: true, out var context) ? context : default;
        var activity = Source.StartActivity($"process {queue}", ActivityKind.Consumer, parent);
        if (activity is null)
            return null;
        Tag(activity, Sqs, "process", "process", queue, "aws.sqs.queue.url", url, endpoint);
        activity.SetTag("messaging.message.id", messageId);
        return activity;
    }

    /// <summary>Deleting a processed message (<c>delete</c>) or handing a failed one back (<c>change_visibility</c>).</summary>
    internal static Activity? StartSettle(string operation, string queue, string url, Uri endpoint)
    {
        var activity = Source.StartActivity($"settle {queue}", ActivityKind.Client);
        return activity is null ? null : Tag(activity, Sqs, "settle", operation, queue, "aws.sqs.queue.url", url, endpoint);
    }

    /// <summary>The endpoint a client talks to: the configured service URL, or the region's public endpoint.</summary>
    internal static Uri Endpoint(string service, AmazonSqsHostSettings settings) =>
        settings.ServiceUrl ?? new Uri($"https://{service}.{settings.Region}.amazonaws.com/");

    static Activity Tag(Activity activity, string system, string type, string operation, string destination, string resourceKey, string? resource,
        Uri endpoint)
    {
        activity.SetTag("messaging.system", system);
        activity.SetTag("messaging.operation.type", type);
        activity.SetTag("messaging.operation.name", operation);
        activity.SetTag("messaging.destination.name", destination);
        if (resource is not null)
            activity.SetTag(resourceKey, resource);
        activity.SetTag("server.address", endpoint.Host);
        activity.SetTag("server.port", endpoint.Port);
        return activity;
    }
}
