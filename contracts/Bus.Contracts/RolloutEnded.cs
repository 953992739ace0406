namespace Bus.Contracts;

/// <summary>A rollout is over: the candidate was promoted (the alias moves next) or stopped, and replicas stop routing to it.</summary>
[Stage("rollout.ended")]
public sealed record RolloutEnded
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }

    /// <summary><see cref="RolloutOutcomes.Promoted"/> or <see cref="RolloutOutcomes.Aborted"/>.</summary>
    public required string Outcome { get; init; }
    public required string Reason { get; init; }
    public DateTimeOffset EndedAt { get; init; }
}
