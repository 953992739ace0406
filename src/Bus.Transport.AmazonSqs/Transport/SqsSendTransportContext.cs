using System.Text;
using Amazon.SQS.Model;
using Bus.Transport.AmazonSqs.Configuration;
using Bus.Transport.AmazonSqs.Sns;
using Bus.Transport.AmazonSqs.Topology;
using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Sends to one queue (SQS SendMessage) or publishes to one topic (SNS Publish). The MassTransit envelope,
/// headers included, is the body; only a few message attributes are set (content type, message type and
/// configured filter attributes), never more than 10.
/// </summary>
sealed class SqsSendTransportContext : BaseSendTransportContext, SendTransportContext<ClientContext>
{
    public const int SqsMaxBytes = 1_048_576;
    public const int SnsMaxBytes = 262_144;
    public const int MaxDelaySeconds = 900;
    public const string TraceParentAttribute = "traceparent";
    public const string ActivityIdHeader = "MT-Activity-Id";
    readonly SqsHostConfiguration _host;
    readonly ClientContextSupervisor _supervisor;
    readonly SqsEndpointAddress _address;

    public SqsSendTransportContext(SqsHostConfiguration host, ReceiveEndpointContext endpoint, ClientContextSupervisor supervisor, SqsEndpointAddress address)
        : base(host, endpoint.Serialization)
    {
        _host = host;
        _supervisor = supervisor;
        _address = address;
        EntityName = address.Kind == SqsEntityKind.Topic ? host.PhysicalTopicName(address.Name) : host.PhysicalQueueName(address.Name);
    }

    public override string EntityName { get; }
    public override string ActivitySystem => _address.Kind == SqsEntityKind.Topic ? "aws_sns" : "aws_sqs";

    public Task Send(IPipe<ClientContext> pipe, CancellationToken cancellationToken = default) =>
        _host.Retry(() => _supervisor.Send(pipe, cancellationToken), cancellationToken, _supervisor.SendStopping);

    public void Probe(ProbeContext context) => context.Set(new { _address.Kind, EntityName });

    public override IEnumerable<IAgent> GetAgentHandles() => [_supervisor];

    public override async Task<SendContext<T>> CreateSendContext<T>(T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
    {
        var context = new SqsMessageSendContext<T>(message, _host.Attributes.For, cancellationToken);
        await pipe.Send(context).ConfigureAwait(false);
        return context;
    }

    public Task<SendContext<T>> CreateSendContext<T>(ClientContext context, T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
        where T : class =>
        CreateSendContext(message, pipe, cancellationToken);

    public async Task Send<T>(ClientContext transportContext, SendContext<T> sendContext)
        where T : class
    {
        var message = sendContext as SqsMessageSendContext<T> ?? throw new ArgumentException("The send context was not created by this transport",
            nameof(sendContext));
        var body = message.Body.GetString();
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.ContentType] = sendContext.ContentType?.ToString() ?? "application/vnd.masstransit+json",
            [MessageHeaders.MessageType] = sendContext.SupportedMessageTypes?.FirstOrDefault() ?? MessageUrn.ForTypeString<T>(),
        };
        // Trace context rides in a W3C traceparent attribute: MassTransit starts the consumer's span from transport
        // headers, and any other SQS consumer (Lambda, a Python worker) understands the standard name.
        if (sendContext.Headers.TryGetHeader(ActivityIdHeader, out var activityId) && activityId?.ToString() is { Length: > 0 } traceparent)
            attributes[TraceParentAttribute] = traceparent;

        foreach (var (name, value) in message.FilterAttributes)
            attributes[name] = value;
        if (_address.Kind == SqsEntityKind.Topic && _host.IsPlainJsonTopic(EntityName))
        {
            // An ingress topic carries plain JSON only, whoever publishes: subscribers refuse envelopes there.
            body = BareMessage(body);
            attributes.Remove(MessageHeaders.ContentType);
            attributes.Remove(MessageHeaders.MessageType);
        }

        if (attributes.Count > 10)
            throw new InvalidOperationException($"{attributes.Count} message attributes for {TypeCache<T>.ShortName}: SQS and SNS allow 10 (SNS silently " +
                "drops raw-delivered messages with more).");

        var size = Encoding.UTF8.GetByteCount(body) + attributes.Sum(a =>
            Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value) + "String".Length);
        var limit = _address.Kind == SqsEntityKind.Topic ? SnsMaxBytes : SqsMaxBytes;
        if (size > limit)
            throw new MessageTooLargeException(
                $"{TypeCache<T>.ShortName} is {size:N0} bytes with its attributes; {(_address.Kind == SqsEntityKind.Topic ? "SNS" : "SQS")} accepts at most " +
                    $"{limit:N0} ({EntityName}). Store large payloads in S3 and send a reference.");

        SqsSendContext sqs = message;
        var fifo = EntityNames.IsFifo(EntityName);
        var groupId = fifo ? sqs.GroupId ?? sendContext.CorrelationId?.ToString() ?? "default" : null;
        var deduplicationId = fifo ? sqs.DeduplicationId ?? sendContext.MessageId?.ToString() : null;

        var delay = sendContext.Delay ?? TimeSpan.Zero;
        if (delay < TimeSpan.Zero)
            delay = TimeSpan.Zero;

        if (_address.Kind == SqsEntityKind.Topic)
        {
            if (delay > TimeSpan.Zero)
                throw new NotSupportedException($"SNS cannot delay a publish ({TypeCache<T>.ShortName} to {EntityName}); schedule a send to a queue instead.");
            await transportContext.Client.PublishAsync(EntityName, body, attributes.ToDictionary(a => a.Key, a => new SnsAttribute("String", a.Value)),
                groupId, deduplicationId, sendContext.CancellationToken).ConfigureAwait(false);
            return;
        }

        if (delay.TotalSeconds > MaxDelaySeconds)
            throw new ArgumentOutOfRangeException(nameof(sendContext), delay,
                $"SQS delays a message at most 15 minutes; {TypeCache<T>.ShortName} to {EntityName} asked for {delay}. Use a scheduler for longer delays.");
        if (fifo && delay > TimeSpan.Zero)
            throw new NotSupportedException($"FIFO queues cannot delay single messages ({EntityName}).");

        var request = new SendMessageRequest
        {
            MessageBody = body,
            MessageAttributes = attributes.ToDictionary(a => a.Key, a => new MessageAttributeValue { DataType = "String", StringValue = a.Value }),
            DelaySeconds = delay > TimeSpan.Zero ? (int)Math.Ceiling(delay.TotalSeconds) : null,
            MessageGroupId = groupId,
            MessageDeduplicationId = deduplicationId,
        };
        await transportContext.Client.SendAsync(EntityName, request, sendContext.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>The message inside a MassTransit envelope (a body that is no envelope is already bare).</summary>
    static string BareMessage(string body)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var inner)
                ? inner.GetRawText()
                : body;
        }
        catch (System.Text.Json.JsonException)
        {
            return body;
        }
    }
}
