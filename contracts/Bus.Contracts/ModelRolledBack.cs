namespace Bus.Contracts;

/// <summary>A version was rolled back; <see cref="RestoredModelVersion"/> is the champion again.</summary>
[Stage("model.rolled-back")]
public sealed record ModelRolledBack
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required Guid RestoredModelVersionId { get; init; }
    public required string RestoredModelVersion { get; init; }
    public required string Reason { get; init; }
    public required string RequestedBy { get; init; }
    public DateTimeOffset RolledBackAt { get; init; }
}
