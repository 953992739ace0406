using System.Text;
using Bus.Transport.AmazonSqs.Configuration;
using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// What sending to a queue and publishing to a topic share: the MassTransit envelope, headers included, is the
/// body; only a few message attributes are set (content type, message type, trace context and configured filter
/// attributes), never more than 10; the size limit and the FIFO group and deduplication ids.
/// <see cref="QueueSendTransportContext"/> and <see cref="TopicSendTransportContext"/> make the call.
/// </summary>
abstract class SqsSendTransportContext : BaseSendTransportContext, SendTransportContext<ClientContext>
{
    public const string TraceParentAttribute = "traceparent";
    public const string ActivityIdHeader = "MT-Activity-Id";
    const int MaxAttributes = 10;
    readonly ClientContextSupervisor _supervisor;

    protected SqsSendTransportContext(SqsHostConfiguration host, ReceiveEndpointContext endpoint, ClientContextSupervisor supervisor, string entityName)
        : base(host, endpoint.Serialization)
    {
        Host = host;
        _supervisor = supervisor;
        EntityName = entityName;
    }

    public override string EntityName { get; }
    protected SqsHostConfiguration Host { get; }

    /// <summary>The most bytes, body and attributes together, that the service accepts.</summary>
    protected abstract int MaxBytes { get; }

    /// <summary>The service's name in errors.</summary>
    protected abstract string Service { get; }

    public Task Send(IPipe<ClientContext> pipe, CancellationToken cancellationToken = default) =>
        Host.Retry(() => _supervisor.Send(pipe, cancellationToken), cancellationToken, _supervisor.SendStopping);

    public void Probe(ProbeContext context) => context.Set(new { Service, EntityName });

    public override IEnumerable<IAgent> GetAgentHandles() => [_supervisor];

    public override async Task<SendContext<T>> CreateSendContext<T>(T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
    {
        var context = new SqsMessageSendContext<T>(message, Host.Attributes.For, cancellationToken);
        await pipe.Send(context).ConfigureAwait(false);
        return context;
    }

    public Task<SendContext<T>> CreateSendContext<T>(ClientContext context, T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
        where T : class =>
        CreateSendContext(message, pipe, cancellationToken);

    public Task Send<T>(ClientContext transportContext, SendContext<T> sendContext)
        where T : class
    {
        var message = sendContext as SqsMessageSendContext<T> ?? throw new ArgumentException("The send context was not created by this transport",
            nameof(sendContext));
        var outgoing = Prepare(message);
        if (outgoing.Attributes.Count > MaxAttributes)
            throw new InvalidOperationException($"{outgoing.Attributes.Count} message attributes for {TypeCache<T>.ShortName}: SQS and SNS allow " +
                $"{MaxAttributes} (SNS silently drops raw-delivered messages with more).");

        var size = Encoding.UTF8.GetByteCount(outgoing.Body) + outgoing.Attributes.Sum(a =>
            Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value) + "String".Length);
        if (size > MaxBytes)
            throw new MessageTooLargeException($"{TypeCache<T>.ShortName} is {size:N0} bytes with its attributes; {Service} accepts at most " +
                $"{MaxBytes:N0} ({EntityName}). Store large payloads in S3 and send a reference.");

        SqsSendContext sqs = message;
        var fifo = EntityNames.IsFifo(EntityName);
        var groupId = fifo ? sqs.GroupId ?? sendContext.CorrelationId?.ToString() ?? "default" : null;
        var deduplicationId = fifo ? sqs.DeduplicationId ?? sendContext.MessageId?.ToString() : null;
        var delay = sendContext.Delay is { } d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return DispatchAsync(transportContext.Client, outgoing with { GroupId = groupId, DeduplicationId = deduplicationId, Delay = delay },
            TypeCache<T>.ShortName, sendContext.CancellationToken);
    }

    /// <summary>The body and attributes as they leave; a topic may rewrite them (plain JSON ingress).</summary>
    protected virtual OutgoingMessage Prepare<T>(SqsMessageSendContext<T> message)
        where T : class
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.ContentType] = message.ContentType?.ToString() ?? "application/vnd.masstransit+json",
            [MessageHeaders.MessageType] = message.SupportedMessageTypes?.FirstOrDefault() ?? MessageUrn.ForTypeString<T>(),
        };
        // Trace context rides in a W3C traceparent attribute: MassTransit starts the consumer's span from transport
        // headers, and any other SQS consumer (Lambda, a Python worker) understands the standard name.
        if (message.Headers.TryGetHeader(ActivityIdHeader, out var activityId) && activityId?.ToString() is { Length: > 0 } traceparent)
            attributes[TraceParentAttribute] = traceparent;
        if (message.Headers.TryGetHeader(PlainJsonIngress.TraceStateAttribute, out var traceState) && traceState?.ToString() is { Length: > 0 } state)
            attributes[PlainJsonIngress.TraceStateAttribute] = state;

        foreach (var (name, value) in message.FilterAttributes)
            attributes[name] = value;
        return new OutgoingMessage(message.Body.GetString(), attributes);
    }

    protected abstract Task DispatchAsync(SqsEntityClient client, OutgoingMessage message, string messageType, CancellationToken cancellationToken);

    /// <summary>One message as the service receives it.</summary>
    protected sealed record OutgoingMessage(string Body, Dictionary<string, string> Attributes)
    {
        public string? GroupId { get; init; }
        public string? DeduplicationId { get; init; }
        public TimeSpan Delay { get; init; }
    }
}
