using System.Text.Json;
using Bus.Transport.AmazonSqs.Configuration;
using Bus.Transport.AmazonSqs.Sns;
using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Publishes to one SNS topic (Publish). SNS cannot delay a message. An ingress topic carries plain JSON only,
/// whoever publishes: the envelope is taken off and its type attributes dropped, since subscribers refuse envelopes there.
/// </summary>
sealed class TopicSendTransportContext(SqsHostConfiguration host, ReceiveEndpointContext endpoint, ClientContextSupervisor supervisor, string topicName)
    : SqsSendTransportContext(host, endpoint, supervisor, host.PhysicalTopicName(topicName))
{
    public const int SnsMaxBytes = 262_144;

    public override string ActivitySystem => "aws_sns";
    protected override int MaxBytes => SnsMaxBytes;
    protected override string Service => "SNS";

    protected override OutgoingMessage Prepare<T>(SqsMessageSendContext<T> message)
    {
        var outgoing = base.Prepare(message);
        if (!Host.IsPlainJsonTopic(EntityName))
            return outgoing;
        outgoing.Attributes.Remove(MessageHeaders.ContentType);
        outgoing.Attributes.Remove(MessageHeaders.MessageType);
        return outgoing with { Body = BareMessage(outgoing.Body) };
    }

    protected override Task DispatchAsync(SqsEntityClient client, OutgoingMessage message, string messageType, CancellationToken cancellationToken)
    {
        if (message.Delay > TimeSpan.Zero)
            throw new NotSupportedException($"SNS cannot delay a publish ({messageType} to {EntityName}); schedule a send to a queue instead.");
        return client.PublishAsync(EntityName, message.Body, message.Attributes.ToDictionary(a => a.Key, a => new SnsAttribute("String", a.Value)),
            message.GroupId, message.DeduplicationId, cancellationToken);
    }

    /// <summary>The message inside a MassTransit envelope (a body that is no envelope is already bare).</summary>
    static string BareMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var inner)
                ? inner.GetRawText()
                : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
