using Amazon.SQS.Model;
using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Moves a received message to another queue (its failure queues), keeping what makes it readable again.</summary>
static class SqsMove
{
    /// <summary>The exception type named in the fault attributes of a refused ingress message.</summary>
    public const string IngressRefusedType = "Bus.Transport.AmazonSqs.IngressRefused";

    /// <summary>
    /// Moves a refused message to <c>&lt;queue&gt;_error</c> with the reason, as a fault would be (no consumer ever saw it), and
    /// deletes it; when the move fails it becomes visible again and is refused on the next receive (or reaches the native DLQ).
    /// </summary>
    public static async Task Refuse(SqsReceiveContext context, SqsReceiveEndpointContext endpoint, ReceiveLockContext lockContext, string reason)
    {
        LogContext.Warning?.Log("Refused SQS message {MessageId} on {Queue}: {Reason}", context.TransportMessage.MessageId, endpoint.QueueName, reason);
        try
        {
            await Move(context, endpoint, endpoint.ErrorQueueName, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [MessageHeaders.Reason] = "refused",
                [MessageHeaders.FaultExceptionType] = IngressRefusedType,
                [MessageHeaders.FaultMessage] = SqsErrorTransport.Truncate(reason, 4096),
                [MessageHeaders.FaultTimestamp] = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                [MessageHeaders.FaultInputAddress] = endpoint.InputAddress.ToString(),
            }).ConfigureAwait(false);
            TransportMetrics.Refused.Add(1);
            await lockContext.Complete().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await lockContext.Faulted(ex).ConfigureAwait(false);
            throw;
        }
    }

    public static async Task Move(ReceiveContext context, SqsReceiveEndpointContext endpoint, string queueName, Dictionary<string, string> attributes)
    {
        if (!context.TryGetPayload(out ClientContext? client))
            throw new ArgumentException("The receive context has no SQS client context", nameof(context));

        if (context.TryGetPayload(out SqsMessageContext? sqs))
        {
            // Keep the headers that make the message readable again (content type, message type), within the 10-attribute limit.
            foreach (var key in new[] { MessageHeaders.ContentType, MessageHeaders.MessageType })
            {
                if (sqs.Attributes.TryGetValue(key, out var value))
                    attributes[key] = value;
            }
        }

        var request = new SendMessageRequest
        {
            MessageBody = context.Body.GetString(),
            MessageAttributes = attributes.Take(10).ToDictionary(a => a.Key, a => new MessageAttributeValue { DataType = "String", StringValue = a.Value }),
        };
        if (EntityNames.IsFifo(queueName))
        {
            request.MessageGroupId = sqs?.TransportMessage.Attributes?.GetValueOrDefault("MessageGroupId") ?? "default";
            request.MessageDeduplicationId = sqs?.TransportMessage.MessageId ?? Guid.NewGuid().ToString("N");
        }

        await client.Client.GetQueueAsync(queueName, new QueueOptions { MessageRetentionSeconds = 14 * 24 * 3600 }, context.CancellationToken)
            .ConfigureAwait(false);
        await client.Client.SendAsync(queueName, request, context.CancellationToken).ConfigureAwait(false);
        var kind = queueName == endpoint.ErrorQueueName ? "error" : queueName == endpoint.SkippedQueueName ? "skipped" : "other";
        TransportMetrics.Moved.Add(1, TransportMetrics.Queue(endpoint.QueueName), new KeyValuePair<string, object?>("bus.failure_queue", kind));
        if (sqs is SqsReceiveContext own)
            own.MovedTo = kind;
    }
}
