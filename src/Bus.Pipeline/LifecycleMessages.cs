using Bus.Contracts;

namespace Bus.Pipeline;

/// <summary>Every message the lifecycle saga sends, publishes or answers with, built from the instance (and the event that caused it).</summary>
static class LifecycleMessages
{
    const string NoSuchVersion = "no such model version";

    /// <summary>An operator's rollback of a version the saga does not know.</summary>
    public static RollbackRejected UnknownRollback(Guid id, string requestedBy) =>
        new() { ModelVersionId = id, Reason = NoSuchVersion, RequestedBy = requestedBy };

    /// <summary>An operator's approval or rejection of a version the saga does not know.</summary>
    public static ApprovalRefused UnknownDecision(Guid id, string requestedBy) =>
        new() { ModelVersionId = id, Reason = NoSuchVersion, RequestedBy = requestedBy };

    public static EvaluateModel Evaluate(ModelLifecycleState saga) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Artifact = saga.Artifact!,
        ValidationSetUri = saga.ValidationSetUri,
        Task = saga.Task,
        Attempt = saga.EvaluationAttempts,
    };

    public static DeployModel Deploy(ModelLifecycleState saga, string reason) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Artifact = saga.Artifact!,
        Reason = reason,
    };

    public static EvaluationTimedOut EvaluationTimer(ModelLifecycleState saga) => new()
    {
        ModelVersionId = saga.CorrelationId,
        Attempt = saga.EvaluationAttempts,
    };

    public static StageTimedOut StageTimer(ModelLifecycleState saga, string state) => new() { ModelVersionId = saga.CorrelationId, State = state };

    public static ModelApproved Approved(ModelLifecycleState saga) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Metrics = saga.Metrics,
        ChampionVersion = saga.ChampionAtEvaluation,
        Policy = saga.Policy ?? "default",
        ApprovedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>A rejection by the gate: the thresholds the candidate broke.</summary>
    public static ModelRejected GateRejection(ModelLifecycleState saga, PromotionDecision gate, ChampionReference? champion) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Reason = gate.Summary,
        Violations = gate.Violations,
        Metrics = saga.Metrics,
        ChampionVersion = champion?.ModelVersion,
        Policy = gate.Policy,
        RejectedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>A rejection by a human (or by the expiry of the wait for one): no thresholds were broken.</summary>
    public static ModelRejected HumanRejection(ModelLifecycleState saga) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Reason = saga.Reason ?? "rejected",
        Violations = [],
        Metrics = saga.Metrics,
        ChampionVersion = saga.ChampionAtEvaluation,
        Policy = saga.Policy ?? "default",
        RejectedAt = DateTimeOffset.UtcNow,
    };

    public static ApprovalRefused ApprovalRefused(ModelLifecycleState saga, string reason, string requestedBy) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Reason = reason,
        RequestedBy = requestedBy,
    };

    /// <summary>A rollback of this version refused or abandoned, said to whoever asked for it.</summary>
    public static RollbackRejected RollbackRejected(ModelLifecycleState saga, string reason, string requestedBy) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Reason = reason,
        RequestedBy = requestedBy,
    };

    /// <summary>
    /// The rollback that asked this (superseded) version to serve again failed: said to the version rolled back from,
    /// which stays the champion.
    /// </summary>
    public static RollbackRejected RestoreFailed(ModelLifecycleState saga, string reason, string? requestedBy) => new()
    {
        ModelVersionId = saga.RolledBackFromId ?? Guid.Empty,
        ModelName = saga.ModelName,
        Reason = reason,
        RequestedBy = requestedBy,
    };

    public static RestoreChampion Restore(ModelLifecycleState saga, RollbackModel command) => new()
    {
        ModelVersionId = saga.PreviousChampionId!.Value,
        RolledBackFromId = saga.CorrelationId,
        Reason = command.Reason,
        RequestedBy = command.RequestedBy,
    };

    public static ModelRolledBack RolledBack(ModelLifecycleState saga, ModelSuperseded restored) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        RestoredModelVersionId = restored.SupersededById,
        RestoredModelVersion = restored.SupersededByVersion,
        Reason = saga.RollbackReason ?? "rollback",
        RequestedBy = saga.RollbackRequestedBy ?? "unknown",
        RolledBackAt = DateTimeOffset.UtcNow,
    };

    /// <summary>What the champion this deployment replaced must hear.</summary>
    public static ModelSuperseded Superseded(ModelLifecycleState saga, ModelDeployed deployed) => new()
    {
        ModelVersionId = deployed.PreviousModelVersionId!.Value,
        ModelName = saga.ModelName,
        ModelVersion = deployed.PreviousModelVersion,
        SupersededById = saga.CorrelationId,
        SupersededByVersion = saga.ModelVersion,
        AliasRevision = deployed.AliasRevision,
        SupersededAt = ServingPeriod.Known(deployed.DeployedAt) ?? DateTimeOffset.UtcNow,
        ServedFrom = deployed.PreviousServedFrom,
    };

    public static ModelVersionStatus Status(ModelLifecycleState saga) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        State = saga.CurrentState,
        Reason = saga.Reason,
        Artifact = saga.Artifact,
        Metrics = saga.Metrics,
        EvaluationSetUri = saga.EvaluationSetUri,
        ProducerSuppliedData = saga.ProducerSuppliedData,
        Rollout = Rollout.RolloutProgress.Summary(saga),
        History = saga.History.ToArray(),
    };

    public static RolloutTimerDue RolloutTick(ModelLifecycleState saga) => new() { ModelVersionId = saga.CorrelationId };

    public static RolloutStepStarted RolloutStep(ModelLifecycleState saga, Rollout.ResolvedRolloutPolicy policy) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Artifact = saga.Artifact!,
        Mode = saga.Rollout!.Mode,
        Step = saga.Rollout.Step,
        TrafficPercent = saga.Rollout.TrafficPercent,
        AgreementSample = policy.AgreementSample,
        ReportInterval = policy.ReportInterval,
        StartedAt = saga.Rollout.StepStartedAt,
    };

    public static RolloutEnded RolloutEnded(ModelLifecycleState saga, string outcome, string reason) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Outcome = outcome,
        Reason = reason,
        EndedAt = DateTimeOffset.UtcNow,
    };

    public static RolloutCommandRefused RolloutRefused(ModelLifecycleState saga, RolloutCommand command, string reason) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Action = command.Action,
        Reason = reason,
        RequestedBy = command.RequestedBy,
    };

    public static RolloutCommandRefused UnknownRollout(RolloutCommand command) => new()
    {
        ModelVersionId = command.ModelVersionId,
        Action = command.Action,
        Reason = "no such model version",
        RequestedBy = command.RequestedBy,
    };
}
