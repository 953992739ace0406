namespace Bus.Persistence.Outbox;

/// <summary>
/// Undelivered outboxes, when the oldest was committed, the most attempts any has had, the oldest failing one's last
/// error, and how many were set aside as dead.
/// </summary>
public sealed record OutboxBacklog(long Pending, DateTimeOffset? Oldest, int MostAttempts, string? LastError, long Dead = 0);
