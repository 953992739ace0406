using Amazon.SQS.Model;
using Bus.Transport.AmazonSqs.Configuration;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Sends to one SQS queue (SendMessage), delayed up to 15 minutes when asked.</summary>
sealed class QueueSendTransportContext(SqsHostConfiguration host, ReceiveEndpointContext endpoint, ClientContextSupervisor supervisor, string queueName)
    : SqsSendTransportContext(host, endpoint, supervisor, host.PhysicalQueueName(queueName))
{
    public const int SqsMaxBytes = 1_048_576;
    public const int MaxDelaySeconds = 900;

    public override string ActivitySystem => "aws_sqs";
    protected override int MaxBytes => SqsMaxBytes;
    protected override string Service => "SQS";

    protected override Task DispatchAsync(SqsEntityClient client, OutgoingMessage message, string messageType, CancellationToken cancellationToken)
    {
        if (message.Delay.TotalSeconds > MaxDelaySeconds)
            throw new ArgumentOutOfRangeException(nameof(message), message.Delay,
                $"SQS delays a message at most 15 minutes; {messageType} to {EntityName} asked for {message.Delay}. Use a scheduler for longer delays.");
        if (message.GroupId is not null && message.Delay > TimeSpan.Zero)
            throw new NotSupportedException($"FIFO queues cannot delay single messages ({EntityName}).");

        var request = new SendMessageRequest
        {
            MessageBody = message.Body,
            MessageAttributes = message.Attributes.ToDictionary(a => a.Key, a => new MessageAttributeValue { DataType = "String", StringValue = a.Value }),
            DelaySeconds = message.Delay > TimeSpan.Zero ? (int)Math.Ceiling(message.Delay.TotalSeconds) : null,
            MessageGroupId = message.GroupId,
            MessageDeduplicationId = message.DeduplicationId,
        };
        return client.SendAsync(EntityName, request, cancellationToken);
    }
}
