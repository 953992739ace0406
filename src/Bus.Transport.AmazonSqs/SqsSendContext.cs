namespace Bus.Transport.AmazonSqs;

/// <summary>SQS/SNS-specific settings of a message being sent (FIFO group and deduplication).</summary>
public interface SqsSendContext
{
    /// <summary>FIFO message group: messages of one group are delivered in order, one at a time (e.g. the model name).</summary>
    string? GroupId { get; set; }

    /// <summary>FIFO deduplication id; defaults to the MassTransit message id.</summary>
    string? DeduplicationId { get; set; }
}
