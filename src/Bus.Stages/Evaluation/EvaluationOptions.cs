using Bus.Ml;
using Bus.Ml.Data;

namespace Bus.Stages.Evaluation;

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

    /// <summary>
    /// Where an evaluation set is copied while it is read (deleted afterwards); the system's temp folder when unset.
    /// Point it at a disk when the temp folder is memory-backed (tmpfs) and sets are large.
    /// </summary>
    public string? WorkDirectory { get; set; }

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
            own?.AllowControlFlow ?? Default.AllowControlFlow ?? false)
        {
            Task = own?.Task ?? Default.Task,
            DataFormat = own?.DataFormat ?? Default.DataFormat,
            Features = new DataFeatures(own?.InputFeature ?? Default.InputFeature ?? DataFeatures.Default.Input,
                own?.LabelFeature ?? Default.LabelFeature ?? DataFeatures.Default.Label),
            Threshold = own?.Threshold ?? Default.Threshold ?? 0.5,
            FailWhenChampionUnusable = own?.FailWhenChampionUnusable ?? Default.FailWhenChampionUnusable ?? false,
        };
    }
}
