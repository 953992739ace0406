namespace Bus.Transport.AmazonSqs.Sns;

/// <summary>One entry of a <see cref="SnsClient.PublishBatchAsync"/> call.</summary>
public sealed record SnsBatchEntry(string Id, string Message, IReadOnlyDictionary<string, SnsAttribute>? Attributes = null, string? GroupId = null,
    string? DeduplicationId = null);
