using Bus.Contracts;
using Bus.Pipeline;

namespace Bus.Host.Apis;

/// <summary>
/// What <c>GET /dashboard/api/snapshot</c> and each server-sent snapshot carry, as dashboard.js reads it (camelCase JSON):
/// every model name with its champion, the thresholds of its policy and its recent versions, the queues this host
/// receives from, and the depth of every queue of the pipeline with its failure queues.
/// </summary>
public sealed record DashboardSnapshot(DateTimeOffset GeneratedAt, string? TraceUrl, IReadOnlyList<DashboardSnapshot.Model> Models,
    IReadOnlyList<DashboardSnapshot.Queue> Queues, IReadOnlyList<DashboardSnapshot.PipelineQueue> PipelineQueues)
{
    /// <summary>A model name: its champion (the Deployed version), its gate, and its versions newest first.</summary>
    public sealed record Model(string Name, string? Champion, IReadOnlyDictionary<string, MetricThreshold> Thresholds, bool RequireApproval,
        IReadOnlyList<ModelVersion> Versions);

    /// <summary>One version: its state and why, its metrics and confusion matrix, and its timeline (the saga's own audit records).</summary>
    public sealed record ModelVersion(string Version, string State, string? Reason, IReadOnlyDictionary<string, double> Metrics, int[][]? ConfusionMatrix,
        string? ChampionAtEvaluation, string? Producer, string? Artifact, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long AliasRevision,
        IReadOnlyList<TransitionRecord> Timeline, Rollout? Rollout = null);

    /// <summary>A version's rollout on live traffic: the plan, the step and share now, and every judgment with its guardrails.</summary>
    public sealed record Rollout(string Mode, IReadOnlyList<int> Steps, int Step, int TrafficPercent, bool Paused, string? LastJudgment,
        IReadOnlyList<Bus.Pipeline.Rollout.JudgmentPoint> Judgments);

    /// <summary>A queue this host receives from, as its transport last sampled it.</summary>
    public sealed record Queue(string Name, long Depth, long InFlight, long Delayed, double OldestAge);

    /// <summary>A queue of the pipeline and its failure queues' depths (null where it could not be sampled).</summary>
    public sealed record PipelineQueue(string Name, long? Depth, long? Error, long? Skipped, long? Dlq);
}
