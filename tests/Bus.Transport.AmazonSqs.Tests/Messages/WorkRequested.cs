namespace Bus.Transport.AmazonSqs.Tests.Messages;

public sealed record WorkRequested(Guid Id, int Seconds);
