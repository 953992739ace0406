namespace Bus.Contracts;

/// <summary>Command to the deployment host: make this version the production alias of its model name.</summary>
[Stage("deploy.model")]
public sealed record DeployModel
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required ModelArtifact Artifact { get; init; }

    /// <summary><see cref="DeploymentReason"/>.</summary>
    public string Reason { get; init; } = DeploymentReason.Promotion;
}
