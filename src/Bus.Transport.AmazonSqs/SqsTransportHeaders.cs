namespace Bus.Transport.AmazonSqs;

/// <summary>
/// Headers the transport sets on every received message from what SQS and SNS themselves say, never from what the
/// sender wrote: the channel a message came by, for an audit that must name it.
/// </summary>
public static class SqsTransportHeaders
{
    public const string ChannelPrefix = "Bus-Channel-";
    public const string Queue = ChannelPrefix + "Queue";
    public const string Topic = ChannelPrefix + "Topic";
    public const string SnsMessageId = ChannelPrefix + "SnsMessageId";
    public const string SqsSenderId = ChannelPrefix + "SqsSenderId";
}
