namespace Bus.Transport.AmazonSqs.Tests.Messages;

public sealed record StageAnnounced
{
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public double Accuracy { get; init; }
}
