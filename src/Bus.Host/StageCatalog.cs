using Bus.Stages;
using Bus.Topology;

namespace Bus.Host;

/// <summary>
/// Every stage a host can run, by name. Adding a stage is its consumer (with its definition and its registration),
/// one line here and its footprint in <see cref="PipelineStages"/> (what its IAM policy and the exported topology are
/// made from; a test holds the two lists to the same names); <c>Bus:Host:Stages</c> is checked against these names
/// (docs/adding-a-stage.md).
/// </summary>
public static class StageCatalog
{
    public static IReadOnlyList<StageEntry> Entries { get; } =
    [
        new(PipelineStages.Lifecycle, "the model lifecycle saga and its durable state", (x, s) => x.AddLifecycleStage(s.PipelineConnectionString)),
        new(PipelineStages.Evaluation, "evaluates candidates (and the champion) on governed data", (x, s) => x.AddEvaluationStage(s.Stage)),
        new(PipelineStages.Deployment, "moves the production alias and serves it", (x, s) => x.AddDeploymentStage(s.Stage)),
        new(PipelineStages.Serving, "an inference replica that follows the production alias", (x, s) => x.AddServingStage(s.Stage)),
        new(PipelineStages.Tagging, "labels a data set with each new champion", (x, s) => x.AddTaggingStage(s.Stage)),
    ];

    public static IReadOnlySet<string> Names { get; } = Entries.Select(e => e.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The entries a host runs: those named, in catalog order, or all of them when none is named.</summary>
    public static IEnumerable<StageEntry> Selected(IReadOnlyCollection<string> names) =>
        names.Count == 0 ? Entries : Entries.Where(e => names.Contains(e.Name, StringComparer.OrdinalIgnoreCase));

    /// <summary>Whether a host with these stages runs the lifecycle (and so answers the lifecycle API).</summary>
    public static bool RunsLifecycle(IReadOnlyCollection<string> names) => Selected(names).Any(e => e.Name == PipelineStages.Lifecycle);
}
