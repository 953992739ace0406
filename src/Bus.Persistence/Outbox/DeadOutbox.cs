namespace Bus.Persistence.Outbox;

/// <summary>An outbox the broker refused for good: the message it stopped at, where it was going, and why.</summary>
public sealed record DeadOutbox(string OutboxId, DateTimeOffset CommittedAt, DateTimeOffset DeadAt, int Attempts, string? Reason, string MessageId,
    string? MessageType,
    string Destination);
