using Bus.Stages.Evaluation;

namespace Bus.Topology.Iam;

/// <summary>
/// The S3 locations of the evaluation and tagging configuration, as templates (<c>{scope}</c> kept, <c>{model}</c> for
/// the default policy, the model's name for a model's own): what the policies grant on.
/// </summary>
static class S3Locations
{
    public static IEnumerable<string> Artifacts(IamSettings settings) =>
        PerModel(settings, p => p.ArtifactLocations is { Length: > 0 } l ? l : null, EvaluationPolicy.DefaultArtifactLocations);

    public static IEnumerable<string> GovernedSets(IamSettings settings) =>
        PerModel(settings, p => p.ValidationSetUri is { Length: > 0 } u ? [u] : null, [EvaluationPolicy.DefaultValidationSetUri]);

    /// <summary>Producer data locations of the models whose policy allows producer data (none by default).</summary>
    public static IEnumerable<string> ProducerData(IamSettings settings)
    {
        var evaluation = settings.Evaluation;
        var defaults = evaluation.Default.DatasetLocations is { Length: > 0 } d ? d : EvaluationPolicy.DefaultDatasetLocations;
        if (evaluation.Default.AllowProducerValidationSet == true)
            yield return defaults[0];
        foreach (var (model, policy) in evaluation.Models)
        {
            if ((policy.AllowProducerValidationSet ?? evaluation.Default.AllowProducerValidationSet) != true)
                continue;
            foreach (var location in policy.DatasetLocations is { Length: > 0 } own ? own : defaults)
                yield return location.Replace("{model}", model, StringComparison.Ordinal);
        }
    }

    /// <summary>Where the tagging stage writes: <c>tags/&lt;model&gt;/</c> beside each data set it tags.</summary>
    public static IEnumerable<string> Tags(IamSettings settings) =>
        settings.Tagging.Datasets.Where(d => Contracts.S3Uri.TryParse(d.Value, out _, out _))
            .Select(d => Contracts.S3Uri.TryParse(d.Value, out var bucket, out _) ? $"s3://{bucket}/tags/{d.Key}/" : "");

    static IEnumerable<string> PerModel(IamSettings settings, Func<EvaluationPolicy, string[]?> pick, string[] fallback)
    {
        var defaults = pick(settings.Evaluation.Default) ?? fallback;
        var all = new List<string>(defaults);
        foreach (var (model, policy) in settings.Evaluation.Models)
            all.AddRange((pick(policy) ?? defaults).Select(l => l.Replace("{model}", model, StringComparison.Ordinal)));
        return all.Distinct(StringComparer.Ordinal);
    }
}
