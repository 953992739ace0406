namespace Bus.Contracts;

/// <summary>The state of one model version and every transition it went through.</summary>
public sealed record ModelVersionStatus
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required string State { get; init; }
    public string? Reason { get; init; }
    public ModelArtifact? Artifact { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>What the metrics were measured on; see <see cref="ModelEvaluated.EvaluationSetUri"/>.</summary>
    public string? EvaluationSetUri { get; init; }

    public bool ProducerSuppliedData { get; init; }

    /// <summary>During a rollout on live traffic: the step, the candidate's share, whether paused, and the last judgment.</summary>
    public string? Rollout { get; init; }
    public IReadOnlyList<TransitionRecord> History { get; init; } = [];
}
