namespace Bus.Contracts;

/// <summary>
/// A rollout's current split, for every serving replica: the candidate takes <see cref="TrafficPercent"/> of the
/// model's live traffic, the champion the rest. Published when a step begins and again at every judgment (so a replica
/// started during a rollout catches up within one interval); a replica applies it idempotently.
/// </summary>
[Stage("rollout.step")]
public sealed record RolloutStepStarted
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required ModelArtifact Artifact { get; init; }

    /// <summary><c>Canary</c> or <c>Linear</c> (see the rollout policy).</summary>
    public required string Mode { get; init; }

    /// <summary>The step, from 1.</summary>
    public required int Step { get; init; }

    /// <summary>The candidate's share of live requests, 1-99.</summary>
    public required int TrafficPercent { get; init; }

    /// <summary>The share of the candidate's requests also run on the champion to measure agreement (0-1).</summary>
    public double AgreementSample { get; init; }

    /// <summary>How often replicas report their measurements.</summary>
    public TimeSpan ReportInterval { get; init; }

    public DateTimeOffset StartedAt { get; init; }
}
