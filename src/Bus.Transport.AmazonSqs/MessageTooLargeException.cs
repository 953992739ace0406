namespace Bus.Transport.AmazonSqs;

/// <summary>A message is larger than SQS (1 MiB) or SNS (256 KiB) accepts; it is refused at send, never retried.</summary>
public sealed class MessageTooLargeException(string message) : InvalidOperationException(message);
