namespace Bus.Transport.AmazonSqs.Transport;

public sealed record QueueInfo(string Name, string Url, string Arn, int VisibilityTimeoutSeconds);
