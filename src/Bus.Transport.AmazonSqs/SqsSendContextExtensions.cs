using MassTransit;

namespace Bus.Transport.AmazonSqs;

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
