namespace Bus.Pipeline;

/// <summary>
/// The saga's own timeout for a stage that waits on another host: a deployment (Approved), a rollback (RollingBack) or
/// a restore (Restoring). Internal to the saga host; ignored unless the version is still in <see cref="State"/>.
/// </summary>
public sealed record StageTimedOut
{
    public required Guid ModelVersionId { get; init; }
    public required string State { get; init; }
}
