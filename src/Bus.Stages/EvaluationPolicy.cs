namespace Bus.Stages;

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
}
