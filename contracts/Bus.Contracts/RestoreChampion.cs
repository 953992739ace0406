namespace Bus.Contracts;

/// <summary>
/// A rollback of <see cref="RolledBackFromId"/> asks its predecessor (this <see cref="ModelVersionId"/>)
/// to become the champion again.
/// </summary>
[Stage("restore.champion")]
public sealed record RestoreChampion
{
    public required Guid ModelVersionId { get; init; }
    public required Guid RolledBackFromId { get; init; }
    public required string Reason { get; init; }
    public required string RequestedBy { get; init; }
}
