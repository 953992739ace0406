namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>How a queue is created when it does not exist yet.</summary>
public sealed record QueueOptions
{
    public int VisibilityTimeoutSeconds { get; init; } = 30;
    public int ReceiveWaitTimeSeconds { get; init; } = 20;
    public int MessageRetentionSeconds { get; init; } = 4 * 24 * 3600;

    /// <summary>Name of the native dead-letter queue; null for none.</summary>
    public string? RedriveQueue { get; init; }
    public int MaxReceiveCount { get; init; } = 5;
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }

    /// <summary>A bus's own temporary queue: created even where the host may not create entities (nothing else could make it).</summary>
    public bool Temporary { get; init; }
}
