using Bus.Contracts;
using Bus.Ml;
using Bus.Ml.Data;

namespace Bus.Stages.Evaluation;

/// <summary>A model name's evaluation policy with every default applied.</summary>
public sealed record ResolvedEvaluationPolicy(
    string ValidationSetUri, bool AllowProducerValidationSet, IReadOnlyList<string> ArtifactLocations, IReadOnlyList<string> DatasetLocations,
        bool AllowControlFlow)
{
    /// <summary>The task the policy fixes; null: the announcement's, else multiclass.</summary>
    public string? Task { get; init; }

    /// <summary>The set's format; null: from its extension.</summary>
    public string? DataFormat { get; init; }

    public DataFeatures Features { get; init; } = DataFeatures.Default;

    public double Threshold { get; init; } = 0.5;

    /// <summary>Fail the candidate when the champion cannot be measured, rather than judge it on its own.</summary>
    public bool FailWhenChampionUnusable { get; init; }

    /// <summary>
    /// What <paramref name="request"/> is evaluated on: the governed set, unless the policy lets the producer choose and the
    /// announcement does; the policy's task when it fixes one (an announcement saying otherwise is refused), else the
    /// announcement's, else multiclass. Refused (<see cref="EvaluationRefusedException"/>) where the artifact or the data
    /// lies outside its allowed locations or the set's format cannot be told.
    /// </summary>
    public EvaluationPlan Plan(EvaluateModel request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Outside(request.Artifact.Uri, ArtifactLocations, "the artifact") is { } refused)
            throw new EvaluationRefusedException(refused);
        var (setUri, producerSupplied) = !AllowProducerValidationSet || request.ValidationSetUri is null
            ? (ValidationSetUri, false)
            : Outside(request.ValidationSetUri, DatasetLocations, "the producer-supplied validation set") is { } data
                ? throw new EvaluationRefusedException(data)
                : (request.ValidationSetUri, true);
        var task = Task switch
        {
            null => request.Task ?? EvaluationTask.Multiclass,
            var fixedTask when request.Task is null || request.Task == fixedTask => fixedTask,
            var fixedTask => throw new EvaluationRefusedException(
                $"the announcement says task '{request.Task}' but the evaluation policy of {request.ModelName} fixes '{fixedTask}' (Bus:Evaluation Task)"),
        };
        var format = DataFormat ?? EvaluationData.FormatOf(setUri) ?? throw new EvaluationRefusedException(
            $"the evaluation set {setUri}: its format is not known from its extension ({string.Join(", ", EvaluationData.Formats)}); set " +
            "Bus:Evaluation DataFormat");
        return new EvaluationPlan(setUri, producerSupplied, format, task);
    }

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
