namespace Bus.Contracts;

/// <summary>Command to the evaluation workers: evaluate one model version on its validation set.</summary>
[Stage("evaluate.model")]
public sealed record EvaluateModel
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required ModelArtifact Artifact { get; init; }
    public string? ValidationSetUri { get; init; }

    /// <summary>The task the announcement gave (multiclass, binary, regression); null: the policy's, else multiclass.</summary>
    public string? Task { get; init; }

    /// <summary>1 for the first request, incremented each time the saga asks again after a timeout.</summary>
    public int Attempt { get; init; } = 1;
}
