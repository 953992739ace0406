namespace Bus.Contracts;

/// <summary>
/// A training job finished and announces its model. Published as plain camelCase JSON to the SNS topic
/// <c>training-complete</c> by any producer (Python + boto3, the TF.js job in tools/, the AWS CLI).
/// </summary>
[Stage("training.complete")]
public sealed record TrainingCompleted
{
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public string? RunId { get; init; }

    /// <summary>s3://bucket/key of the .keras, .h5 or .onnx file, or of model.json (tfjs-layers).</summary>
    public required string ArtifactUri { get; init; }

    public required string ArtifactFormat { get; init; }

    /// <summary>Lower-case hex sha256 of the artifact file (for tfjs-layers: of model.json followed by each shard in manifest order).</summary>
    public required string ArtifactSha256 { get; init; }

    /// <summary>
    /// What the model is evaluated as: multiclass (the default), binary or regression. The evaluator's policy for the
    /// model may fix it; an announcement that says otherwise fails its version.
    /// </summary>
    public string? Task { get; init; }

    public string? DatasetUri { get; init; }
    public string? ValidationSetUri { get; init; }
    public IReadOnlyDictionary<string, double> TrainingMetrics { get; init; } = new Dictionary<string, double>();
    public DateTimeOffset ProducedAt { get; init; }
    public string? Producer { get; init; }
}
