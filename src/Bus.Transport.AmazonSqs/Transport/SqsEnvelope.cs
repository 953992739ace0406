using Amazon.SQS.Model;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>A topic whose publishers are outside the trust boundary: its messages bind to one type, filtered by these attributes.</summary>
sealed record IngressBinding(Type MessageType, IReadOnlyList<string> FilterAttributes)
{
    /// <summary>The producers' rule for a body that reads as the type: the reason it is refused, or null.</summary>
    public Func<object, string?>? Rule { get; init; }
}

/// <summary>What a received message carries: the body to deserialize, the headers, and the reason it is refused (null when it is not).</summary>
sealed record SqsEnvelopeContents(string Body, Dictionary<string, string> Headers, string? Refused);

/// <summary>
/// Opens a received SQS message, without I/O: MassTransit's own messages carry a Content-Type attribute; an SNS
/// notification (raw delivery off) is unwrapped; a plain JSON body is given the message type bound to the topic it came
/// from, so the raw JSON deserializer reads it as that type; on an ingress topic the publisher's words are data and
/// nothing it says about type or content is believed. The channel headers (queue, topic, SNS message id, sender id) are
/// the transport's own: whatever a sender wrote under those names is dropped.
/// </summary>
sealed class SqsEnvelope(IReadOnlyDictionary<string, string> typesByTopic, IReadOnlyDictionary<string, IngressBinding> ingressByTopic)
{
    /// <summary>The message type given to plain JSON whose type cannot be told: no consumer takes it, so it is skipped.</summary>
    public const string UnknownMessageType = "urn:message:Bus.Transport.AmazonSqs:UnknownPlainJson";

    /// <summary>The envelope of an endpoint: the message types and ingress bindings of the topics its queue is subscribed to.</summary>
    public static SqsEnvelope For(SqsReceiveEndpointContext context) =>
        new(context.Settings.Subscriptions
                .Where(s => s.MessageTypeUrn is not null)
                .ToDictionary(s => context.Host.PhysicalTopicName(s.TopicName), s => s.MessageTypeUrn!, StringComparer.Ordinal),
            context.Settings.Subscriptions
                .Where(s => s.PlainJsonType is not null)
                .ToDictionary(s => context.Host.PhysicalTopicName(s.TopicName),
                    s => new IngressBinding(s.PlainJsonType!, context.Host.Attributes.NamesFor(s.PlainJsonType!))
                    {
                        Rule = context.Host.PlainJsonRules.GetValueOrDefault(s.PlainJsonType!),
                    },
                    StringComparer.Ordinal));

    public SqsEnvelopeContents Open(Message message, string queueName)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (message.MessageAttributes is not null)
        {
            foreach (var (name, value) in message.MessageAttributes)
            {
                if (value.StringValue is not null)
                    headers[name] = value.StringValue;
            }
        }

        var body = message.Body ?? string.Empty;
        string? refused = null;
        var notification = headers.ContainsKey(MessageHeaders.ContentType) ? null : SnsNotification.TryRead(body);
        if (notification is not null)
        {
            body = notification.Message;
            if (ingressByTopic.TryGetValue(notification.TopicName, out var ingress))
            {
                headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                refused = PlainJsonIngress.Check(body, notification.Attributes, ingress, notification.TopicName, headers);
            }
            else
            {
                foreach (var (name, value) in notification.Attributes)
                    headers[name] = value;
            }
        }

        SetChannel(headers, queueName, message, notification);

        if (!headers.ContainsKey(MessageHeaders.ContentType))
        {
            // Plain JSON: the raw deserializer reads it as the type bound to its topic. Without a known topic it
            // would be read as any type a consumer asks for, so it is marked with a type nobody consumes: skipped.
            headers[MessageHeaders.ContentType] = "application/json";
            headers[MessageHeaders.MessageType] = notification is not null && typesByTopic.TryGetValue(notification.TopicName, out var urn)
                ? urn
                : UnknownMessageType;
            // The SNS (or SQS) message id becomes the MassTransit message id, so the inbox and duplicate detection work for plain JSON too.
            var id = notification?.MessageId ?? message.MessageId;
            if (Guid.TryParse(id, out _))
                headers[MessageHeaders.MessageId] = id;
        }

        return new SqsEnvelopeContents(body, headers, refused);
    }

    /// <summary>
    /// MassTransit starts its receive span from MT-Activity-Id when there is one, else under the current span: under the
    /// transport's process span when tracing listens (so tracestate flows on), from the sender's traceparent when not.
    /// </summary>
    public static void FollowTrace(Dictionary<string, string> headers, bool processSpan)
    {
        if (processSpan)
            headers.Remove(SqsSendTransportContext.ActivityIdHeader);
        else if (headers.TryGetValue(SqsSendTransportContext.TraceParentAttribute, out var traceparent))
            headers.TryAdd(SqsSendTransportContext.ActivityIdHeader, traceparent);
    }

    /// <summary>
    /// How the message came, as transport headers a consumer (the audit) can read: the queue, the SQS sender id, and the
    /// SNS topic and message id when SNS wrapped it (raw delivery, used between hosts, hides both).
    /// </summary>
    static void SetChannel(Dictionary<string, string> headers, string queueName, Message message, SnsNotification? notification)
    {
        foreach (var forged in headers.Keys.Where(k => k.StartsWith(SqsTransportHeaders.ChannelPrefix, StringComparison.OrdinalIgnoreCase)).ToList())
            headers.Remove(forged);
        headers[SqsTransportHeaders.Queue] = queueName;
        if (notification is not null)
        {
            headers[SqsTransportHeaders.Topic] = notification.TopicName;
            if (notification.MessageId is not null)
                headers[SqsTransportHeaders.SnsMessageId] = notification.MessageId;
        }

        if (message.Attributes?.TryGetValue("SenderId", out var sender) == true && !string.IsNullOrEmpty(sender))
            headers[SqsTransportHeaders.SqsSenderId] = sender;
    }
}
