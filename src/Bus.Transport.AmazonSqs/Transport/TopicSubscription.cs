namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>A topic a receive endpoint subscribes to, and the message type a plain JSON body from it is read as.</summary>
public sealed record TopicSubscription(string TopicName, string? MessageTypeUrn, bool RawMessageDelivery, string? FilterPolicy)
{
    /// <summary>
    /// The message type of an ingress topic (one marked <c>AcceptPlainJson</c>): every body from it must be that type's
    /// plain JSON, and nothing else a publisher sends (envelope, content type, headers) is believed.
    /// </summary>
    public Type? PlainJsonType { get; init; }
}
