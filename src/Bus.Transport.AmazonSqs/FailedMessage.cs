namespace Bus.Transport.AmazonSqs;

/// <summary>One message in a failure queue, as an operator needs to see it.</summary>
public sealed record FailedMessage(
    string SqsMessageId, string FailureQueue, DateTimeOffset? FailedAt, string? Reason, string? ExceptionType, string? ExceptionMessage, string? InputAddress,
    int ReceiveCount, string Body);
