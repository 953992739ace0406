using Amazon.SQS.Model;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Transport;

static class SqsMove
{
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
