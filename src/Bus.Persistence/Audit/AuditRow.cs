namespace Bus.Persistence.Audit;

/// <summary>One stored audit record: its place in the chain, the database's time, what it says, and the hashes that chain it.</summary>
public sealed record AuditRow(long Sequence, DateTimeOffset RecordedAt, AuditEntry Entry, string PreviousHash, string Hash);
