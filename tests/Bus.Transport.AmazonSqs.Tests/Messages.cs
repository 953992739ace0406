namespace Bus.Transport.AmazonSqs.Tests.Messages;

public sealed record PingPublished(Guid Id, string Text);

public sealed record WorkRequested(Guid Id, int Seconds);

public sealed record StageAnnounced
{
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public double Accuracy { get; init; }
}
