namespace Bus.Contracts;

/// <summary>An evaluation worker measured a model version (and, when there is one, the champion on the same data).</summary>
[Stage("model.evaluated")]
public sealed record ModelEvaluated
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>The champion measured on the same validation set; null when the model name has no champion yet.</summary>
    public ChampionReference? Champion { get; init; }

    /// <summary>
    /// Why the champion could not be measured (its artifact changed or is gone), when it could not: the candidate was then
    /// judged on its own, against the policy's absolute thresholds only. Null when there is no champion or it was measured.
    /// </summary>
    public string? ChampionProblem { get; init; }

    public int SampleCount { get; init; }

    /// <summary>The data both were measured on: the model's governed evaluation set, or the producer's where its policy allows that.</summary>
    public string? EvaluationSetUri { get; init; }

    /// <summary>True when the set came from the announcement (the producer chose the data), not from the pipeline's governance.</summary>
    public bool ProducerSuppliedData { get; init; }
    /// <summary>Counts of (true class, predicted class) over the evaluation set, for classifiers of at most 100 classes.</summary>
    public IReadOnlyList<IReadOnlyList<int>>? ConfusionMatrix { get; init; }

    public DateTimeOffset EvaluatedAt { get; init; }
    public string? Evaluator { get; init; }
}
