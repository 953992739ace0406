namespace Bus.Persistence.Audit;

/// <summary>
/// One stored audit record: its place in the chain, the database's time, what it says, the canonical form it was hashed
/// with, and the hashes that chain it.
/// </summary>
public sealed record AuditRow(long Sequence, DateTimeOffset RecordedAt, AuditEntry Entry, string PreviousHash, string Hash)
{
    public int Form { get; init; } = AuditChain.CurrentForm;
}
