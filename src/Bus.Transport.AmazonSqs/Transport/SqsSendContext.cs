using MassTransit;
using MassTransit.Context;

namespace Bus.Transport.AmazonSqs;

/// <summary>SQS/SNS-specific settings of a message being sent (FIFO group and deduplication).</summary>
public interface SqsSendContext
{
    /// <summary>FIFO message group: messages of one group are delivered in order, one at a time (e.g. the model name).</summary>
    string? GroupId { get; set; }

    /// <summary>FIFO deduplication id; defaults to the MassTransit message id.</summary>
    string? DeduplicationId { get; set; }
}

public static class SqsSendContextExtensions
{
    /// <summary>Sets the FIFO message group of a message sent or published over this transport (ignored by other transports).</summary>
    public static void SetGroupId(this SendContext context, string groupId)
    {
        if (context.TryGetPayload(out SqsSendContext? sqs))
            sqs.GroupId = groupId;
    }

    public static void SetDeduplicationId(this SendContext context, string deduplicationId)
    {
        if (context.TryGetPayload(out SqsSendContext? sqs))
            sqs.DeduplicationId = deduplicationId;
    }
}

sealed class SqsMessageSendContext<T> : MessageSendContext<T>, SqsSendContext
    where T : class
{
    public SqsMessageSendContext(T message, CancellationToken cancellationToken)
        : base(message, cancellationToken) =>
        GetOrAddPayload<SqsSendContext>(() => this);

    public string? GroupId { get; set; }
    public string? DeduplicationId { get; set; }
}
