namespace Bus.Persistence.Audit;

/// <summary>
/// The chain's head at one moment (sequence, hash, time), kept where the database's writers cannot reach it (S3 with
/// Object Lock): a later verification against it also notices a cut tail or a chain rewritten from the anchor back.
/// </summary>
public sealed record AuditAnchor(long Sequence, string Hash, DateTimeOffset At);
