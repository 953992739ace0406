namespace Bus.Pipeline;

/// <summary>Configuration section <c>Bus:Lifecycle</c>.</summary>
public sealed class ModelLifecycleOptions
{
    public const string SectionName = "Bus:Lifecycle";

    /// <summary>
    /// How long the saga waits for an evaluation answer before asking again. At most 15 minutes, so
    /// the timeout can ride on SQS's DelaySeconds.
    /// </summary>
    public TimeSpan EvaluationTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long an Approved version waits for its deployment, and a Restoring one for its restore, before it ends with
    /// the reason (at most 15 minutes, the SQS delay limit). A deployment confirmed later still counts: the version
    /// served, and its record says so.
    /// </summary>
    public TimeSpan DeploymentTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a rollback may take before the champion is marked Deployed again with the reason.</summary>
    public TimeSpan RollbackTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a version that awaits a human approval (<see cref="PromotionRule.RequireApproval"/>) waits before it is
    /// Rejected with "approval expired". Any length: the saga's timer is re-armed every 15 minutes (the SQS delay limit).
    /// </summary>
    public TimeSpan ApprovalTimeout { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How many times an evaluation is requested before the version is Failed (timeouts and transient failures count).</summary>
    public int MaxEvaluationAttempts { get; set; } = 3;

    /// <summary>How many transitions the audit history keeps per version (oldest dropped past this).</summary>
    public int MaxHistoryEntries { get; set; } = 500;

    /// <summary>Queue the evaluation workers receive <c>EvaluateModel</c> on.</summary>
    public string EvaluationQueue { get; set; } = "evaluate-model";

    /// <summary>Queue the deployment host receives <c>DeployModel</c> on.</summary>
    public string DeploymentQueue { get; set; } = "deploy-model";

    public PromotionPolicyOptions Promotion { get; set; } = new();

    /// <summary>How a promoted version reaches live traffic: at once, or in judged steps (<c>Bus:Lifecycle:Rollout</c>).</summary>
    public Rollout.RolloutOptions Rollout { get; set; } = new();
}
