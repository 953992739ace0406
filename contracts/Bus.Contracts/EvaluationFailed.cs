namespace Bus.Contracts;

/// <summary>An evaluation could not produce metrics.</summary>
[Stage("evaluation.failed")]
public sealed record EvaluationFailed
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required string Reason { get; init; }

    /// <summary>
    /// True for faults that will not go away by asking again (corrupt artifact, integrity mismatch,
    /// unsupported layer); false for transient ones that outlived the worker's own retries.
    /// </summary>
    public required bool Permanent { get; init; }

    public DateTimeOffset FailedAt { get; init; }
    public string? Evaluator { get; init; }
}
