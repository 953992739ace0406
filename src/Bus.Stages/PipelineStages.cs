using Bus.Stages.Deployment;
using Bus.Stages.Evaluation;
using Bus.Stages.Lifecycle;
using Bus.Stages.Serving;
using Bus.Stages.Tagging;

namespace Bus.Stages;

/// <summary>
/// Every stage a host can run: the one list the host's <c>Bus:Host:Stages</c>, the IAM policies, the CloudFormation export,
/// the health checks and the tests are made from. A new stage is one line here.
/// </summary>
public static class PipelineStages
{
    public static IReadOnlyList<PipelineStage> All { get; } =
    [
        new LifecycleStage(),
        new EvaluationStage(),
        new DeploymentStage(),
        ServingStage.Instance,
        new TaggingStage(),
    ];

    public static IReadOnlySet<string> Names { get; } = All.Select(s => s.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The stage by its name, as <c>Bus:Host:Stages</c> and the IAM roles spell it (case ignored); null for none.</summary>
    public static PipelineStage? Named(string name) => All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The stages a host runs: those named, in this list's order, or all of them when none is named.</summary>
    public static IEnumerable<PipelineStage> Selected(IReadOnlyCollection<string> names) =>
        names.Count == 0 ? All : All.Where(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase));
}
