using Amazon.SQS.Model;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>What a consumer can learn of the SQS message it is handling (get it with <c>context.TryGetPayload</c>).</summary>
public interface SqsMessageContext
{
    Message TransportMessage { get; }
    IReadOnlyDictionary<string, string> Attributes { get; }
}
