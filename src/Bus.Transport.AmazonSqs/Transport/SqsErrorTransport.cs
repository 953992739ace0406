using System.Globalization;
using Amazon.SQS.Model;
using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Moves a message that failed after its retries to <c>&lt;queue&gt;_error</c>, with the exception in message attributes.</summary>
sealed class SqsErrorTransport(SqsReceiveEndpointContext endpoint) : IErrorTransport
{
    public Task Send(ExceptionReceiveContext context)
    {
        var exception = context.Exception;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.Reason] = "fault",
            [MessageHeaders.FaultExceptionType] = exception.GetType().FullName ?? exception.GetType().Name,
            [MessageHeaders.FaultMessage] = Truncate(exception.Message, 4096),
            [MessageHeaders.FaultStackTrace] = Truncate(exception.StackTrace ?? string.Empty, 8192),
            [MessageHeaders.FaultTimestamp] = context.ExceptionTimestamp.ToString("O", CultureInfo.InvariantCulture),
            [MessageHeaders.FaultInputAddress] = endpoint.InputAddress.ToString(),
        };
        return SqsMove.Move(context, endpoint, endpoint.ErrorQueueName, attributes);
    }

    internal static string Truncate(string value, int max) => value.Length <= max ? (value.Length == 0 ? "-" : value) : value[..max];
}

/// <summary>Moves a message no consumer on the endpoint could take to <c>&lt;queue&gt;_skipped</c>, with the reason.</summary>
sealed class SqsDeadLetterTransport(SqsReceiveEndpointContext endpoint) : IDeadLetterTransport
{
    public Task Send(ReceiveContext context, string reason) =>
        SqsMove.Move(context, endpoint, endpoint.SkippedQueueName, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.Reason] = SqsErrorTransport.Truncate(reason, 1024),
            [MessageHeaders.FaultInputAddress] = endpoint.InputAddress.ToString(),
        });
}

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
    }
}
