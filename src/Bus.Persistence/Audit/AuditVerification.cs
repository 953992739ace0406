namespace Bus.Persistence.Audit;

/// <summary>
/// The outcome of checking the whole chain: how many rows, the head, and when it is broken the first broken row's
/// sequence with what is wrong there.
/// </summary>
public sealed record AuditVerification(long Rows, long HeadSequence, string HeadHash, long? BrokenAt, string? Problem)
{
    public bool Valid => BrokenAt is null;
}
