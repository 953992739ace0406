namespace Bus.Stages.Evaluation;

/// <summary>One model name's evaluation policy (every setting optional: unset ones come from the default).</summary>
public sealed class EvaluationPolicy
{
    public const string DefaultValidationSetUri = "s3://{scope}bus-evaluation/{model}/validation.json";
    public static readonly string[] DefaultArtifactLocations = ["s3://{scope}bus-models/{model}/"];
    public static readonly string[] DefaultDatasetLocations = ["s3://{scope}bus-datasets/{model}/"];

    /// <summary>The governed evaluation set: champion and challenger are measured on it. Keep it where training jobs cannot write.</summary>
    public string? ValidationSetUri { get; set; }

    /// <summary>Whether an announced <c>validationSetUri</c> is used instead (then status, timeline and audit say "producer-supplied").</summary>
    public bool? AllowProducerValidationSet { get; set; }

    /// <summary>s3://bucket/prefix/ locations the artifact may come from; anything else fails before a byte is read.</summary>
    public string[]? ArtifactLocations { get; set; }

    /// <summary>Where producer-supplied data may come from (only used where such data is allowed).</summary>
    public string[]? DatasetLocations { get; set; }

    /// <summary>Whether ONNX control flow (Loop, If, Scan) is accepted; the inference deadline still applies.</summary>
    public bool? AllowControlFlow { get; set; }

    /// <summary>
    /// What the model is evaluated as: multiclass, binary or regression. Set here, it is the pipeline's decision (an
    /// announcement saying otherwise fails); unset, the announcement's <c>task</c> is used, else multiclass.
    /// </summary>
    public string? Task { get; set; }

    /// <summary>The evaluation set's format: json, tfrecord, npz or csv; unset, from the set's extension.</summary>
    public string? DataFormat { get; set; }

    /// <summary>The TFRecord feature or .npz array holding the model's input (default x).</summary>
    public string? InputFeature { get; set; }

    /// <summary>The TFRecord feature, .npz array or CSV column holding the label (default y).</summary>
    public string? LabelFeature { get; set; }

    /// <summary>A binary classifier's decision threshold on its output (default 0.5).</summary>
    public double? Threshold { get; set; }

    /// <summary>
    /// What an evaluation does when the champion cannot be measured (its artifact changed in S3, or is gone): false (the
    /// default) judges the candidate on its own against the absolute thresholds and says so in the record; true fails the
    /// candidate with the champion's problem as the reason.
    /// </summary>
    public bool? FailWhenChampionUnusable { get; set; }
}
