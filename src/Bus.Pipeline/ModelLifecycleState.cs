using System.Text.Json.Serialization;
using Bus.Contracts;
using MassTransit;

namespace Bus.Pipeline;

/// <summary>One model version on its way from "training complete" to "serving".</summary>
public class ModelLifecycleState : SagaStateMachineInstance, ISagaVersion
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = null!;
    public int Version { get; set; }

    public string ModelName { get; set; } = null!;
    public string ModelVersion { get; set; } = null!;
    public string? RunId { get; set; }
    public ModelArtifact? Artifact { get; set; }
    public string? ValidationSetUri { get; set; }

    /// <summary>The evaluation task the announcement gave, if any.</summary>
    public string? Task { get; set; }
    public string? Producer { get; set; }
    public DateTimeOffset? ProducedAt { get; set; }
    public Dictionary<string, double> TrainingMetrics { get; set; } = [];

    public int EvaluationAttempts { get; set; }
    public Guid? EvaluationTimeoutTokenId { get; set; }
    public Guid? StageTimeoutTokenId { get; set; }
    public Guid? RolloutTimerTokenId { get; set; }

    /// <summary>The stepped rollout on live traffic, from its plan to its last judgment; null for a version deployed at once.</summary>
    public Rollout.RolloutProgress? Rollout { get; set; }

    /// <summary>Failed because no deployment answer came in time: a deployment confirmed later is still recorded.</summary>
    public bool DeploymentUnconfirmed { get; set; }
    public Dictionary<string, double> Metrics { get; set; } = [];

    /// <summary>The evaluation's confusion matrix (true class by row, predicted by column), when it sent one.</summary>
    public int[][]? ConfusionMatrix { get; set; }
    public string? ChampionAtEvaluation { get; set; }
    public string? EvaluationSetUri { get; set; }
    public bool ProducerSuppliedData { get; set; }

    /// <summary>Why the version ended where it is (rejection, failure, rollback); null while all is well.</summary>
    public string? Reason { get; set; }

    /// <summary>Alias revision at which this version became champion (or was last superseded): orders deployment events.</summary>
    public long AliasRevision { get; set; }
    public Guid? PreviousChampionId { get; set; }
    public string? PreviousChampionVersion { get; set; }
    public Guid? RolledBackFromId { get; set; }

    /// <summary>Awaiting a human approval until then (the policy's RequireApproval); null otherwise.</summary>
    public DateTimeOffset? ApprovalDeadline { get; set; }
    public string? Policy { get; set; }
    public bool FourEyes { get; set; }
    public string? ApprovedBy { get; set; }
    public string? RollbackReason { get; set; }
    public string? RollbackRequestedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public List<TransitionRecord> History { get; set; } = [];

    /// <summary>Records made since the instance was loaded, not yet in the audit log; not stored with the instance.</summary>
    [JsonIgnore]
    public List<TransitionRecord> PendingAudit { get; } = [];

    /// <summary>Hands the pending records to the audit log's writer and forgets them.</summary>
    public IReadOnlyList<TransitionRecord> TakeAudit()
    {
        var taken = PendingAudit.ToArray();
        PendingAudit.Clear();
        return taken;
    }
}
