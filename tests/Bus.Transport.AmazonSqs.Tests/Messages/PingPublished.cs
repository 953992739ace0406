namespace Bus.Transport.AmazonSqs.Tests.Messages;

public sealed record PingPublished(Guid Id, string Text);
