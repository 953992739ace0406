namespace Bus.Contracts;

/// <summary>A version now serves as the production alias of its model name (its canary prediction succeeded).</summary>
[Stage("model.deployed")]
public sealed record ModelDeployed
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }

    /// <summary>Monotonic per model name: every change of the production alias gets the next number.</summary>
    public required long AliasRevision { get; init; }

    /// <summary>The version the alias pointed to before; null for the first deployment of a model name.</summary>
    public Guid? PreviousModelVersionId { get; init; }
    public string? PreviousModelVersion { get; init; }

    /// <summary>Since when the previous version served: the time of its alias revision in the registry.</summary>
    public DateTimeOffset? PreviousServedFrom { get; init; }

    public string Reason { get; init; } = DeploymentReason.Promotion;
    public string? Endpoint { get; init; }
    /// <summary>When the alias moved: the time of <see cref="AliasRevision"/> in the registry.</summary>
    public DateTimeOffset DeployedAt { get; init; }
    public string? DeployedBy { get; init; }
}
