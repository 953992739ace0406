namespace Bus.Contracts;

/// <summary>A rollback request could not be carried out (the version is not the champion, or has no predecessor, or restoring it failed).</summary>
[Stage("rollback.rejected")]
public sealed record RollbackRejected
{
    public required Guid ModelVersionId { get; init; }
    public string? ModelName { get; init; }
    public string? ModelVersion { get; init; }
    public required string Reason { get; init; }
    public string? RequestedBy { get; init; }
}
