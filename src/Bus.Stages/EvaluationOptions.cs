using Bus.Ml;

namespace Bus.Stages;

/// <summary>
/// Configuration section <c>Bus:Evaluation</c>: what the pipeline, not the producer, decides about an evaluation. Each
/// model name may override the <see cref="Default"/> policy under <c>Models:&lt;name&gt;</c>; locations may hold
/// <c>{model}</c> and <c>{scope}</c> (the scope followed by '-', or nothing without a scope).
/// </summary>
public sealed class EvaluationOptions
{
    public const string SectionName = "Bus:Evaluation";

    /// <summary>How long one evaluation (candidate and champion) may take; inference is stopped at this deadline.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    public ArtifactLimits Limits { get; set; } = new();

    /// <summary>The AWS account that must own the artifact and data buckets (S3's ExpectedBucketOwner); empty: not checked.</summary>
    public string? ExpectedBucketOwner { get; set; }

    /// <summary>Filled from <c>Bus:Aws:Scope</c> by the host.</summary>
    public string? Scope { get; set; }

    public EvaluationPolicy Default { get; set; } = new();
    public Dictionary<string, EvaluationPolicy> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The policy of <paramref name="modelName"/>: its own settings where given, the default's elsewhere.</summary>
    public ResolvedEvaluationPolicy For(string modelName)
    {
        var own = Models.GetValueOrDefault(modelName);
        string Expand(string template) => template.Replace("{model}", modelName, StringComparison.Ordinal)
            .Replace("{scope}", string.IsNullOrEmpty(Scope) ? string.Empty : Scope + "-", StringComparison.Ordinal);
        string[] Locations(string[]? mine, string[]? fallback) => (mine is { Length: > 0 } ? mine : fallback ?? []).Select(Expand).ToArray();
        return new ResolvedEvaluationPolicy(
            Expand(own?.ValidationSetUri ?? Default.ValidationSetUri ?? EvaluationPolicy.DefaultValidationSetUri),
            own?.AllowProducerValidationSet ?? Default.AllowProducerValidationSet ?? false,
            Locations(own?.ArtifactLocations, Default.ArtifactLocations is { Length: > 0 } d ? d : EvaluationPolicy.DefaultArtifactLocations),
            Locations(own?.DatasetLocations, Default.DatasetLocations is { Length: > 0 } e ? e : EvaluationPolicy.DefaultDatasetLocations),
            own?.AllowControlFlow ?? Default.AllowControlFlow ?? false);
    }
}

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

/// <summary>A model name's evaluation policy with every default applied.</summary>
public sealed record ResolvedEvaluationPolicy(
    string ValidationSetUri, bool AllowProducerValidationSet, IReadOnlyList<string> ArtifactLocations, IReadOnlyList<string> DatasetLocations,
        bool AllowControlFlow)
{
    /// <summary>Null when <paramref name="uri"/> lies under one of <paramref name="locations"/>, else why not.</summary>
    public static string? Outside(string uri, IReadOnlyList<string> locations, string what)
    {
        var (bucket, key) = S3ArtifactStore.Parse(uri);
        if (key.Split('/').Any(segment => segment is "." or "..") || key.Contains("//", StringComparison.Ordinal) || key.Any(char.IsControl))
            return $"{what} {uri} is refused: its key has '.', '..', '//' or control characters";
        foreach (var location in locations)
        {
            var (allowedBucket, prefix) = ParseLocation(location);
            if (string.Equals(bucket, allowedBucket, StringComparison.Ordinal) && key.StartsWith(prefix, StringComparison.Ordinal))
                return null;
        }

        return $"{what} {uri} is outside the locations allowed for it ({string.Join(", ", locations)})";
    }

    static (string Bucket, string Prefix) ParseLocation(string location)
    {
        if (!location.StartsWith("s3://", StringComparison.Ordinal))
            throw new InvalidOperationException($"an allowed location must be s3://bucket/prefix/, not '{location}'");
        var rest = location[5..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
            return (rest, string.Empty);
        var prefix = rest[(slash + 1)..];
        // A prefix is a folder: "models/digits" must not also allow "models/digits-evil/".
        return (rest[..slash], prefix.Length == 0 || prefix.EndsWith('/') ? prefix : prefix + "/");
    }
}
