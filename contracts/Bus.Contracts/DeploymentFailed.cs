namespace Bus.Contracts;

/// <summary>A deployment did not happen; the previous champion keeps serving.</summary>
[Stage("deployment.failed")]
public sealed record DeploymentFailed
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required string Reason { get; init; }
    public bool Permanent { get; init; } = true;
    public string DeploymentReason { get; init; } = Contracts.DeploymentReason.Promotion;
    public DateTimeOffset FailedAt { get; init; }
    public string? DeployedBy { get; init; }
}
