namespace Bus.Contracts;

/// <summary>A rollout command that could not be taken (no rollout in progress, already paused, ...), with the reason.</summary>
[Stage("rollout.refused")]
public sealed record RolloutCommandRefused
{
    public required Guid ModelVersionId { get; init; }
    public string? ModelName { get; init; }
    public string? ModelVersion { get; init; }
    public required string Action { get; init; }
    public required string Reason { get; init; }
    public string? RequestedBy { get; init; }
}
