using Bus.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Bus.Pipeline;

/// <summary>
/// Tracks one model version from training complete through evaluation, the promotion gate and
/// deployment. The saga never knows who listens to its events; it only sends two commands
/// (evaluate, deploy) to queues named by configuration.
/// </summary>
public sealed class ModelLifecycleStateMachine : MassTransitStateMachine<ModelLifecycleState>
{
    /// <summary>The actor the saga names when it acts on its own (a timeout, a restore it asks for): audited as the system.</summary>
    public const string SystemActor = ModelLifecycleStateDefinition.QueueName;

    readonly ModelLifecycleOptions _options;
    readonly PromotionPolicy _policy;
    readonly Uri _evaluateAddress;
    readonly Uri _deployAddress;

    public ModelLifecycleStateMachine(IOptions<ModelLifecycleOptions> options)
    {
        _options = options.Value;
        _policy = new PromotionPolicy(_options.Promotion);
        _evaluateAddress = new Uri($"queue:{_options.EvaluationQueue}");
        _deployAddress = new Uri($"queue:{_options.DeploymentQueue}");
        var max = _options.MaxHistoryEntries;

        InstanceState(x => x.CurrentState);

        // A name or version that breaks ModelVersionKey's rule throws here: no instance is made for it (it could share an
        // id with a valid one), and the announcement goes to the error queue with the reason.
        Event(() => TrainingCompleted, x => x.CorrelateById(ctx => ModelVersionKey.For(ctx.Message.ModelName, ctx.Message.ModelVersion)));
        Event(() => ModelEvaluated, x => { x.CorrelateById(ctx => ctx.Message.ModelVersionId); x.OnMissingInstance(m => m.Discard()); });
        Event(() => EvaluationFailed, x => { x.CorrelateById(ctx => ctx.Message.ModelVersionId); x.OnMissingInstance(m => m.Discard()); });
        Event(() => ModelDeployed, x => { x.CorrelateById(ctx => ctx.Message.ModelVersionId); x.OnMissingInstance(m => m.Discard()); });
        Event(() => DeploymentFailed, x => { x.CorrelateById(ctx => ctx.Message.ModelVersionId); x.OnMissingInstance(m => m.Discard()); });
        Event(() => ModelSuperseded, x => { x.CorrelateById(ctx => ctx.Message.ModelVersionId); x.OnMissingInstance(m => m.Discard()); });
        Event(() => RestoreChampion, x => { x.CorrelateById(ctx => ctx.Message.ModelVersionId); x.OnMissingInstance(m => m.Discard()); });
        Event(() => RollbackRejected, x => { x.CorrelateById(ctx => ctx.Message.ModelVersionId); x.OnMissingInstance(m => m.Discard()); });
        // An operator's command for a version the saga does not know is refused with the reason, not dropped.
        OperatorCommand(() => RollbackModel, m => m.ModelVersionId, m => new RollbackRejected
        {
            ModelVersionId = m.ModelVersionId,
            Reason = "no such model version",
            RequestedBy = m.RequestedBy,
        });
        OperatorCommand(() => ApproveModel, m => m.ModelVersionId, m => new ApprovalRefused
        {
            ModelVersionId = m.ModelVersionId,
            Reason = "no such model version",
            RequestedBy = m.ApprovedBy,
        });
        OperatorCommand(() => RejectModel, m => m.ModelVersionId, m => new ApprovalRefused
        {
            ModelVersionId = m.ModelVersionId,
            Reason = "no such model version",
            RequestedBy = m.RejectedBy,
        });
        Event(() => GetModelVersionStatus, x =>
        {
            x.CorrelateById(ctx => ctx.Message.ModelVersionId);
            x.OnMissingInstance(m => m.ExecuteAsync(ctx => ctx.RespondAsync(new ModelVersionNotFound { ModelVersionId = ctx.Message.ModelVersionId })));
        });
        Schedule(() => EvaluationTimeout, x => x.EvaluationTimeoutTokenId, s =>
        {
            s.Delay = _options.EvaluationTimeout;
            s.Received = r => r.CorrelateById(ctx => ctx.Message.ModelVersionId);
        });

        // Stages that wait on another host end with a reason when it never answers (a lost message, a host gone).
        Schedule(() => StageTimeout, x => x.StageTimeoutTokenId, s =>
        {
            s.Delay = _options.DeploymentTimeout;
            s.Received = r => r.CorrelateById(ctx => ctx.Message.ModelVersionId);
        });

        Initially(
            When(TrainingCompleted, ctx => AnnouncementRules.Validate(ctx.Message) is null)
                .Then(ctx => Accept(ctx.Saga, ctx.Message))
                .Then(ctx => ctx.Saga.EvaluationAttempts = 1)
                .Send(_evaluateAddress, ctx => EvaluateCommand(ctx.Saga))
                .Schedule(EvaluationTimeout, ctx => Timeout(ctx.Saga))
                .TransitionTo(Evaluating)
                .Audit(max, ctx => ctx.Message.Producer, ctx =>
                    $"run {ctx.Message.RunId ?? "?"}, {ctx.Message.ArtifactFormat} artifact {ctx.Message.ArtifactUri}"),
            When(TrainingCompleted, ctx => AnnouncementRules.Validate(ctx.Message) is not null)
                .Then(ctx =>
                {
                    Accept(ctx.Saga, ctx.Message);
                    ctx.Saga.Reason = $"invalid training-complete: {AnnouncementRules.Validate(ctx.Message)}";
                })
                .TransitionTo(Failed)
                .Audit(max, ctx => ctx.Message.Producer, ctx => ctx.Saga.Reason));

        During(Evaluating,
            Ignore(TrainingCompleted),
            When(ModelEvaluated)
                .Unschedule(EvaluationTimeout)
                .Then(ctx =>
                {
                    ctx.Saga.Metrics = new Dictionary<string, double>(ctx.Message.Metrics);
                    // Kept only when square and at most 100 classes: the saga's row stays small whatever an evaluator sends.
                    ctx.Saga.ConfusionMatrix = ctx.Message.ConfusionMatrix is { Count: > 0 and <= 100 } m && m.All(r => r.Count == m.Count)
                        ? m.Select(r => r.ToArray()).ToArray()
                        : null;
                    ctx.Saga.ChampionAtEvaluation = ctx.Message.Champion?.ModelVersion;
                    ctx.Saga.EvaluationSetUri = ctx.Message.EvaluationSetUri;
                    ctx.Saga.ProducerSuppliedData = ctx.Message.ProducerSuppliedData;
                })
                .IfElse(ctx => Gate(ctx).Approved,
                    approved => approved
                        .Then(ctx =>
                        {
                            ctx.Saga.Policy = Gate(ctx).Policy;
                            ctx.Saga.FourEyes = Gate(ctx).FourEyes;
                        })
                        .IfElse(ctx => Gate(ctx).RequiresApproval,
                            wait => wait
                                .Then(ctx => ctx.Saga.ApprovalDeadline = DateTimeOffset.UtcNow + _options.ApprovalTimeout)
                                .Schedule(StageTimeout, ctx => StageTimer(ctx.Saga, LifecycleStates.AwaitingApproval), ctx => ApprovalDelay(ctx.Saga))
                                .TransitionTo(AwaitingApproval)
                                .Audit(max, ctx => ctx.Message.Evaluator, ctx =>
                                    $"{FormatMetrics(ctx.Message.Metrics)}; {Gate(ctx).Summary}; awaiting an operator's approval until " +
                                    $"{ctx.Saga.ApprovalDeadline:u}{ChampionNote(ctx.Message.Champion)}{DataNote(ctx.Message)}"),
                            deploy => Promote(deploy)
                                .Audit(max, ctx => ctx.Message.Evaluator, ctx =>
                                    $"{FormatMetrics(ctx.Message.Metrics)}; {Gate(ctx).Summary}{ChampionNote(ctx.Message.Champion)}{DataNote(ctx.Message)}")),
                    rejected => rejected
                        .Then(ctx => ctx.Saga.Reason = Gate(ctx).Summary)
                        .Publish(ctx => new ModelRejected
                        {
                            ModelVersionId = ctx.Saga.CorrelationId,
                            ModelName = ctx.Saga.ModelName,
                            ModelVersion = ctx.Saga.ModelVersion,
                            Reason = Gate(ctx).Summary,
                            Violations = Gate(ctx).Violations,
                            Metrics = ctx.Saga.Metrics,
                            ChampionVersion = ctx.Message.Champion?.ModelVersion,
                            Policy = Gate(ctx).Policy,
                            RejectedAt = DateTimeOffset.UtcNow,
                        })
                        .TransitionTo(Rejected)
                        .Audit(max, ctx => ctx.Message.Evaluator, ctx =>
                            $"{FormatMetrics(ctx.Message.Metrics)}; {ctx.Saga.Reason}{ChampionNote(ctx.Message.Champion)}{DataNote(ctx.Message)}")),
            When(EvaluationFailed, ctx => ctx.Message.Permanent)
                .Unschedule(EvaluationTimeout)
                .Then(ctx => ctx.Saga.Reason = $"evaluation failed: {ctx.Message.Reason}")
                .TransitionTo(Failed)
                .Audit(max, ctx => ctx.Message.Evaluator, ctx => ctx.Saga.Reason),
            RetryOrFail(When(EvaluationFailed, ctx => !ctx.Message.Permanent), ctx => $"transient evaluation failure: {ctx.Message.Reason}", ctx =>
                ctx.Message.Evaluator),
            RetryOrFail(When(EvaluationTimeout.Received, ctx => ctx.Message.Attempt == ctx.Saga.EvaluationAttempts),
                ctx => $"no evaluation answer within {_options.EvaluationTimeout} (attempt {ctx.Saga.EvaluationAttempts})", _ => SystemActor));

        // The policy wants a human: an operator other than the producer (four-eyes) approves or rejects, or the wait expires.
        During(AwaitingApproval,
            Ignore(TrainingCompleted),
            Ignore(ModelEvaluated),
            Ignore(EvaluationFailed),
            Ignore(EvaluationTimeout.Received),
            When(ApproveModel, ctx => SelfApproval(ctx.Saga, ctx.Message.ApprovedBy))
                .Publish(ctx => Refusal(ctx.Saga, $"four-eyes: {ctx.Message.ApprovedBy} produced this version; another operator must approve it",
                    ctx.Message.ApprovedBy))
                .Then(ctx => AuditExtensions.Append(ctx, ctx.Event.Name, ctx.Message.ApprovedBy,
                    $"approval refused: {ctx.Message.ApprovedBy} produced this version (four-eyes)", max)),
            Promote(When(ApproveModel, ctx => !SelfApproval(ctx.Saga, ctx.Message.ApprovedBy))
                    .Unschedule(StageTimeout)
                    .Then(ctx =>
                    {
                        ctx.Saga.ApprovalDeadline = null;
                        ctx.Saga.ApprovedBy = ctx.Message.ApprovedBy;
                    }))
                .Audit(max, ctx => ctx.Message.ApprovedBy, ctx => $"approved by {ctx.Message.ApprovedBy}: {ctx.Message.Reason}"),
            When(RejectModel)
                .Unschedule(StageTimeout)
                .Then(ctx => ctx.Saga.Reason = $"rejected by {ctx.Message.RejectedBy}: {ctx.Message.Reason}")
                .Publish(ctx => HumanRejection(ctx.Saga))
                .TransitionTo(Rejected)
                .Audit(max, ctx => ctx.Message.RejectedBy, ctx => ctx.Saga.Reason),
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.AwaitingApproval && ctx.Saga.ApprovalDeadline <= DateTimeOffset.UtcNow)
                .Then(ctx => ctx.Saga.Reason = $"approval expired: no operator decided within {_options.ApprovalTimeout} (Bus:Lifecycle:ApprovalTimeout)")
                .Publish(ctx => HumanRejection(ctx.Saga))
                .TransitionTo(Rejected)
                .Audit(max, _ => SystemActor, ctx => ctx.Saga.Reason),
            // Longer waits than SQS can delay a message: the timer is set again for what is left.
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.AwaitingApproval && ctx.Saga.ApprovalDeadline > DateTimeOffset.UtcNow)
                .Schedule(StageTimeout, ctx => StageTimer(ctx.Saga, LifecycleStates.AwaitingApproval), ctx => ApprovalDelay(ctx.Saga)));

        During(Approved,
            Ignore(TrainingCompleted),
            Ignore(ModelEvaluated),
            Ignore(EvaluationFailed),
            Ignore(EvaluationTimeout.Received),
            When(ModelDeployed)
                .Unschedule(StageTimeout)
                .Then(ctx =>
                {
                    ctx.Saga.AliasRevision = ctx.Message.AliasRevision;
                    ctx.Saga.PreviousChampionId = ctx.Message.PreviousModelVersionId;
                    ctx.Saga.PreviousChampionVersion = ctx.Message.PreviousModelVersion;
                })
                .If(ReplacesAnother, b => b.Publish(ctx => SupersededMessage(ctx.Saga, ctx.Message)))
                .TransitionTo(Deployed)
                .Audit(max, ctx => ctx.Message.DeployedBy, ctx => DeployedNote(ctx.Message), ctx => Serving(ctx.Message)),
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.Approved)
                .Then(ctx =>
                {
                    ctx.Saga.DeploymentUnconfirmed = true;
                    ctx.Saga.Reason = $"no deployment answer within {_options.DeploymentTimeout} (Bus:Lifecycle:DeploymentTimeout); a later confirmation is " +
                        "still recorded";
                })
                .TransitionTo(Failed)
                .Audit(max, _ => SystemActor, ctx => ctx.Saga.Reason),
            When(DeploymentFailed)
                .Unschedule(StageTimeout)
                .Then(ctx => ctx.Saga.Reason = $"deployment failed: {ctx.Message.Reason}; the previous champion keeps serving")
                .TransitionTo(Failed)
                .Audit(max, ctx => ctx.Message.DeployedBy, ctx => ctx.Saga.Reason),
            // Out of order: a later deployment replaced this version before its own ModelDeployed arrived.
            When(ModelSuperseded)
                .Unschedule(StageTimeout)
                .Then(ctx => ServedUnheard(ctx))
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .TransitionTo(Superseded)
                .Audit(max, ctx => null, ctx =>
                    $"superseded by {ctx.Message.SupersededByVersion} (alias revision {ctx.Message.AliasRevision}) before its own deployment was confirmed",
                    ctx => Replaced(ctx.Message)));

        During(Deployed,
            Ignore(TrainingCompleted),
            Ignore(ModelEvaluated),
            Ignore(EvaluationFailed),
            Ignore(EvaluationTimeout.Received),
            Ignore(RollbackRejected),
            When(ModelSuperseded, ctx => ctx.Message.AliasRevision > ctx.Saga.AliasRevision)
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .TransitionTo(Superseded)
                .Audit(max, ctx => null, ctx => $"superseded by {ctx.Message.SupersededByVersion} (alias revision {ctx.Message.AliasRevision})",
                    ctx => Replaced(ctx.Message)),
            // Redelivered or out-of-date news (an at-least-once bus, several hosts): the alias revision says which is newer.
            When(ModelSuperseded, ctx => ctx.Message.AliasRevision <= ctx.Saga.AliasRevision).Then(ctx => LateEvent(ctx, "ModelSuperseded")),
            When(ModelDeployed, ctx => ctx.Message.AliasRevision <= ctx.Saga.AliasRevision).Then(ctx => LateEvent(ctx, "ModelDeployed")),
            When(RollbackModel, ctx => ctx.Saga.PreviousChampionId is null)
                .Publish(ctx => new RollbackRejected
                {
                    ModelVersionId = ctx.Saga.CorrelationId,
                    ModelName = ctx.Saga.ModelName,
                    ModelVersion = ctx.Saga.ModelVersion,
                    Reason = "no previous champion to restore: this is the first deployed version of the model",
                    RequestedBy = ctx.Message.RequestedBy,
                })
                .Then(ctx => AuditExtensions.Append(ctx, ctx.Event.Name, ctx.Message.RequestedBy, "rollback refused: no previous champion", max)),
            When(RollbackModel, ctx => ctx.Saga.PreviousChampionId is not null)
                .Then(ctx =>
                {
                    ctx.Saga.RollbackReason = ctx.Message.Reason;
                    ctx.Saga.RollbackRequestedBy = ctx.Message.RequestedBy;
                })
                .Publish(ctx => new RestoreChampion
                {
                    ModelVersionId = ctx.Saga.PreviousChampionId!.Value,
                    RolledBackFromId = ctx.Saga.CorrelationId,
                    Reason = ctx.Message.Reason,
                    RequestedBy = ctx.Message.RequestedBy,
                })
                .Schedule(StageTimeout, ctx => StageTimer(ctx.Saga, LifecycleStates.RollingBack), _ => _options.RollbackTimeout)
                .TransitionTo(RollingBack)
                .Audit(max, ctx => ctx.Message.RequestedBy, ctx => $"rollback requested: {ctx.Message.Reason}; restoring {ctx.Saga.PreviousChampionVersion}"));

        During(RollingBack,
            Ignore(TrainingCompleted),
            Ignore(ModelEvaluated),
            Ignore(EvaluationFailed),
            Ignore(ModelDeployed),
            Ignore(RollbackModel),
            When(ModelSuperseded)
                .Unschedule(StageTimeout)
                .Then(ctx =>
                {
                    ctx.Saga.AliasRevision = ctx.Message.AliasRevision;
                    ctx.Saga.Reason = $"rolled back: {ctx.Saga.RollbackReason}";
                })
                .Publish(ctx => new ModelRolledBack
                {
                    ModelVersionId = ctx.Saga.CorrelationId,
                    ModelName = ctx.Saga.ModelName,
                    ModelVersion = ctx.Saga.ModelVersion,
                    RestoredModelVersionId = ctx.Message.SupersededById,
                    RestoredModelVersion = ctx.Message.SupersededByVersion,
                    Reason = ctx.Saga.RollbackReason ?? "rollback",
                    RequestedBy = ctx.Saga.RollbackRequestedBy ?? "unknown",
                    RolledBackAt = DateTimeOffset.UtcNow,
                })
                .TransitionTo(RolledBack)
                .Audit(max, ctx => ctx.Saga.RollbackRequestedBy, ctx =>
                    $"{ctx.Message.SupersededByVersion} serves again (alias revision {ctx.Message.AliasRevision})", ctx => Replaced(ctx.Message)),
            When(RollbackRejected)
                .Unschedule(StageTimeout)
                .TransitionTo(Deployed)
                .Audit(max, ctx => ctx.Message.RequestedBy, ctx => $"rollback failed, still the champion: {ctx.Message.Reason}"),
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.RollingBack)
                .Publish(ctx => new RollbackRejected
                {
                    ModelVersionId = ctx.Saga.CorrelationId,
                    ModelName = ctx.Saga.ModelName,
                    ModelVersion = ctx.Saga.ModelVersion,
                    Reason = $"the rollback did not complete within {_options.RollbackTimeout} (Bus:Lifecycle:RollbackTimeout)",
                    RequestedBy = ctx.Saga.RollbackRequestedBy ?? "unknown",
                })
                .TransitionTo(Deployed)
                .Audit(max, _ => SystemActor, ctx => $"rollback did not complete within {_options.RollbackTimeout}; still the champion"));

        During(Superseded,
            Ignore(TrainingCompleted),
            Ignore(ModelEvaluated),
            Ignore(EvaluationFailed),
            Ignore(ModelSuperseded),
            Ignore(EvaluationTimeout.Received),
            When(RestoreChampion)
                .Then(ctx => ctx.Saga.RolledBackFromId = ctx.Message.RolledBackFromId)
                .Send(_deployAddress, ctx => DeployCommand(ctx.Saga, DeploymentReason.Rollback))
                .Schedule(StageTimeout, ctx => StageTimer(ctx.Saga, LifecycleStates.Restoring), _ => _options.DeploymentTimeout)
                .TransitionTo(Restoring)
                .Audit(max, ctx => ctx.Message.RequestedBy, ctx => $"restoring as champion: {ctx.Message.Reason}"),
            // This version's own confirmation, after a newer deployment already replaced it: it is no longer the
            // champion, but the champion it replaced at that revision must still hear that it was superseded.
            When(ModelDeployed, ctx => ctx.Message.AliasRevision <= ctx.Saga.AliasRevision)
                .Then(ctx => LateEvent(ctx, "ModelDeployed"))
                .If(ReplacesAnother, b => b.Publish(ctx => SupersededMessage(ctx.Saga, ctx.Message))),
            // Put back by someone else (an operator redeploying it directly).
            When(ModelDeployed, ctx => ctx.Message.AliasRevision > ctx.Saga.AliasRevision)
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .If(ReplacesAnother, b => b.Publish(ctx => SupersededMessage(ctx.Saga, ctx.Message)))
                .TransitionTo(Deployed)
                .Audit(max, ctx => ctx.Message.DeployedBy, ctx => DeployedNote(ctx.Message), ctx => Serving(ctx.Message)));

        During(Restoring,
            Ignore(TrainingCompleted),
            Ignore(ModelEvaluated),
            Ignore(EvaluationFailed),
            Ignore(RestoreChampion),
            When(ModelDeployed)
                .Unschedule(StageTimeout)
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .If(ReplacesAnother, b => b.Publish(ctx => SupersededMessage(ctx.Saga, ctx.Message)))
                .Then(ctx => ctx.Saga.RolledBackFromId = null)
                .TransitionTo(Deployed)
                .Audit(max, ctx => ctx.Message.DeployedBy, ctx => $"champion again after rollback; {DeployedNote(ctx.Message)}", ctx => Serving(ctx.Message)),
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.Restoring)
                .Publish(ctx => new RollbackRejected
                {
                    ModelVersionId = ctx.Saga.RolledBackFromId ?? Guid.Empty,
                    ModelName = ctx.Saga.ModelName,
                    Reason = $"restoring {ctx.Saga.ModelVersion} got no answer within {_options.DeploymentTimeout} (Bus:Lifecycle:DeploymentTimeout)",
                    RequestedBy = SystemActor,
                })
                .Then(ctx => ctx.Saga.RolledBackFromId = null)
                .TransitionTo(Superseded)
                .Audit(max, _ => SystemActor, ctx =>
                    $"restore got no answer within {_options.DeploymentTimeout}; a later confirmation still makes it champion"),
            When(DeploymentFailed)
                .Unschedule(StageTimeout)
                .Publish(ctx => new RollbackRejected
                {
                    ModelVersionId = ctx.Saga.RolledBackFromId ?? Guid.Empty,
                    ModelName = ctx.Saga.ModelName,
                    Reason = $"restoring {ctx.Saga.ModelVersion} failed: {ctx.Message.Reason}",
                    RequestedBy = ctx.Message.DeployedBy,
                })
                .Then(ctx => ctx.Saga.RolledBackFromId = null)
                .TransitionTo(Superseded)
                .Audit(max, ctx => ctx.Message.DeployedBy, ctx => $"restore failed: {ctx.Message.Reason}"),
            When(ModelSuperseded, ctx => ctx.Message.AliasRevision > ctx.Saga.AliasRevision)
                .Unschedule(StageTimeout)
                .Then(ctx => ServedUnheard(ctx))
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .TransitionTo(Superseded)
                .Audit(max, ctx => null, ctx => $"superseded by {ctx.Message.SupersededByVersion} while being restored", ctx => Replaced(ctx.Message)));

        During(Rejected, Failed, RolledBack,
            Ignore(TrainingCompleted),
            Ignore(EvaluationTimeout.Received),
            Ignore(StageTimeout.Received),
            Ignore(RestoreChampion),
            Ignore(RollbackRejected),
            When(ModelEvaluated).Then(ctx => LateEvent(ctx, "ModelEvaluated")),
            When(EvaluationFailed).Then(ctx => LateEvent(ctx, "EvaluationFailed")),
            When(DeploymentFailed).Then(ctx => LateEvent(ctx, "DeploymentFailed")));
        During(Rejected, RolledBack,
            Ignore(ModelSuperseded),
            When(ModelDeployed).Then(ctx => LateEvent(ctx, "ModelDeployed")));

        // Failed for want of a deployment answer: a confirmation that comes after all means the version served, and
        // the record must say so (Deployed, or Superseded when a newer one already replaced it).
        During(Failed,
            When(ModelDeployed, ctx => !ctx.Saga.DeploymentUnconfirmed).Then(ctx => LateEvent(ctx, "ModelDeployed")),
            When(ModelDeployed, ctx => ctx.Saga.DeploymentUnconfirmed)
                .Then(ctx =>
                {
                    ctx.Saga.DeploymentUnconfirmed = false;
                    ctx.Saga.Reason = null;
                    ctx.Saga.AliasRevision = ctx.Message.AliasRevision;
                    ctx.Saga.PreviousChampionId = ctx.Message.PreviousModelVersionId;
                    ctx.Saga.PreviousChampionVersion = ctx.Message.PreviousModelVersion;
                })
                .If(ReplacesAnother, b => b.Publish(ctx => SupersededMessage(ctx.Saga, ctx.Message)))
                .TransitionTo(Deployed)
                .Audit(max, ctx => ctx.Message.DeployedBy, ctx => $"deployment confirmed after its timeout; {DeployedNote(ctx.Message)}",
                    ctx => Serving(ctx.Message)),
            When(ModelSuperseded, ctx => !ctx.Saga.DeploymentUnconfirmed).Then(_ => { }),
            When(ModelSuperseded, ctx => ctx.Saga.DeploymentUnconfirmed)
                .Then(ctx => ServedUnheard(ctx))
                .Then(ctx =>
                {
                    ctx.Saga.DeploymentUnconfirmed = false;
                    ctx.Saga.AliasRevision = ctx.Message.AliasRevision;
                })
                .TransitionTo(Superseded)
                .Audit(max, ctx => null, ctx =>
                    $"superseded by {ctx.Message.SupersededByVersion} (alias revision {ctx.Message.AliasRevision}); its own deployment was never confirmed",
                    ctx => Replaced(ctx.Message)));

        DuringAny(
            When(GetModelVersionStatus).RespondAsync(ctx => ctx.Init<ModelVersionStatus>(Status(ctx.Saga))));

        // A rollback asked of a version that is not the champion is refused with the reason, and the refusal recorded.
        foreach (var state in new[] { Evaluating, AwaitingApproval, Approved, Superseded, Restoring, Rejected, Failed, RolledBack })
        {
            During(state,
            When(RollbackModel)
                .Publish(ctx => new RollbackRejected
                {
                    ModelVersionId = ctx.Saga.CorrelationId,
                    ModelName = ctx.Saga.ModelName,
                    ModelVersion = ctx.Saga.ModelVersion,
                    Reason = $"only the deployed champion can be rolled back; {ctx.Saga.ModelVersion} is {ctx.Saga.CurrentState}",
                    RequestedBy = ctx.Message.RequestedBy,
                })
                .Then(ctx => AuditExtensions.Append(ctx, ctx.Event.Name, ctx.Message.RequestedBy,
                    $"rollback refused: only the deployed champion can be rolled back; this version is {ctx.Saga.CurrentState}", max)));
        }

        // An approval or rejection of a version that does not await one is refused, and the refusal recorded.
        foreach (var state in new[] { Evaluating, Approved, Deployed, Superseded, RollingBack, Restoring, Rejected, Failed, RolledBack })
        {
            During(state,
                When(ApproveModel)
                    .Publish(ctx => Refusal(ctx.Saga, NotAwaiting(ctx.Saga), ctx.Message.ApprovedBy))
                    .Then(ctx => AuditExtensions.Append(ctx, ctx.Event.Name, ctx.Message.ApprovedBy, $"approval refused: {NotAwaiting(ctx.Saga)}", max)),
                When(RejectModel)
                    .Publish(ctx => Refusal(ctx.Saga, NotAwaiting(ctx.Saga), ctx.Message.RejectedBy))
                    .Then(ctx => AuditExtensions.Append(ctx, ctx.Event.Name, ctx.Message.RejectedBy, $"rejection refused: {NotAwaiting(ctx.Saga)}", max)));
        }

        During(Evaluating,
            Ignore(RollbackRejected),
            Ignore(RestoreChampion),
            Ignore(ModelDeployed),
            Ignore(DeploymentFailed),
            Ignore(ModelSuperseded));
        During(RollingBack,
            Ignore(EvaluationTimeout.Received),
            Ignore(RestoreChampion),
            Ignore(DeploymentFailed));
        During(Approved, Ignore(RestoreChampion), Ignore(RollbackRejected));
        During(Deployed, Ignore(RestoreChampion), Ignore(DeploymentFailed));
        During(Restoring, Ignore(EvaluationTimeout.Received), Ignore(RollbackRejected));

        // Anything else is logged and dropped rather than faulted into an endless error loop.
        OnUnhandledEvent(ctx =>
        {
            LogContext.Warning?.Log("Ignored {Event} for {ModelName} {ModelVersion} in state {State}",
                ctx.Event.Name, ctx.Saga.ModelName, ctx.Saga.ModelVersion, ctx.Saga.CurrentState);
            return Task.CompletedTask;
        });
    }

    void LateEvent<T>(BehaviorContext<ModelLifecycleState, T> ctx, string name)
        where T : class =>
        LogContext.Warning?.Log("Ignored a late {Event} for {ModelName} {ModelVersion}: the version is already {State}",
            name, ctx.Saga.ModelName, ctx.Saga.ModelVersion, ctx.Saga.CurrentState);

    EventActivityBinder<ModelLifecycleState, T> RetryOrFail<T>(
        EventActivityBinder<ModelLifecycleState, T> binder,
        Func<BehaviorContext<ModelLifecycleState, T>, string> why,
        Func<BehaviorContext<ModelLifecycleState, T>, string?> actor)
        where T : class =>
        binder.IfElse(ctx => ctx.Saga.EvaluationAttempts < _options.MaxEvaluationAttempts,
            retry => retry
                .Then(ctx => AuditExtensions.Append(ctx, ctx.Event.Name, actor(ctx),
                    $"{why(ctx)}; asking again (attempt {ctx.Saga.EvaluationAttempts + 1} of {_options.MaxEvaluationAttempts})", _options.MaxHistoryEntries))
                .Then(ctx => ctx.Saga.EvaluationAttempts++)
                .Send(_evaluateAddress, ctx => EvaluateCommand(ctx.Saga))
                .Schedule(EvaluationTimeout, ctx => Timeout(ctx.Saga)),
            fail => fail
                .Unschedule(EvaluationTimeout)
                .Then(ctx => ctx.Saga.Reason = $"{why(ctx)}; gave up after {ctx.Saga.EvaluationAttempts} attempt(s)")
                .TransitionTo(Failed)
                .Audit(_options.MaxHistoryEntries, actor, ctx => ctx.Saga.Reason));

    /// <summary>
    /// A version replaced before its own ModelDeployed was heard still served, at the revision before the one that replaced
    /// it (ModelSuperseded goes to the alias the replacing deployment moved away from): the log records that it was Deployed
    /// there, so every alias revision has its Deployed record even when the events arrive out of order.
    /// </summary>
    void ServedUnheard(BehaviorContext<ModelLifecycleState, ModelSuperseded> ctx) =>
        AuditExtensions.Append(ctx, ctx.Event.Name, null, $"served as champion at alias revision {ctx.Message.AliasRevision - 1} until " +
            $"{ctx.Message.SupersededByVersion} replaced it; its own ModelDeployed had not been heard yet", _options.MaxHistoryEntries,
            LifecycleStates.Deployed, Replaced(ctx.Message));

    /// <summary>The serving that a ModelSuperseded ends: the revision before the replacing one, until the replacement.</summary>
    static ServingPeriod Replaced(ModelSuperseded m) => new(m.AliasRevision - 1, m.ServedFrom, ServingPeriod.Known(m.SupersededAt));

    static ServingPeriod Serving(ModelDeployed m) => new(m.AliasRevision, ServingPeriod.Known(m.DeployedAt), null);

    void OperatorCommand<T>(System.Linq.Expressions.Expression<Func<Event<T>>> command, Func<T, Guid> id, Func<T, object> unknown)
        where T : class =>
        Event(command, x =>
        {
            x.CorrelateById(ctx => id(ctx.Message));
            x.OnMissingInstance(m => m.ExecuteAsync(ctx => ctx.Publish(unknown(ctx.Message))));
        });

    /// <summary>A version cleared for deployment (by the gate, or by an operator after it): ModelApproved, DeployModel, the deployment timer.</summary>
    EventActivityBinder<ModelLifecycleState, T> Promote<T>(EventActivityBinder<ModelLifecycleState, T> binder)
        where T : class =>
        binder
            .Publish(ctx => new ModelApproved
            {
                ModelVersionId = ctx.Saga.CorrelationId,
                ModelName = ctx.Saga.ModelName,
                ModelVersion = ctx.Saga.ModelVersion,
                Metrics = ctx.Saga.Metrics,
                ChampionVersion = ctx.Saga.ChampionAtEvaluation,
                Policy = ctx.Saga.Policy ?? "default",
                ApprovedAt = DateTimeOffset.UtcNow,
            })
            .Send(_deployAddress, ctx => DeployCommand(ctx.Saga, DeploymentReason.Promotion))
            .Schedule(StageTimeout, ctx => StageTimer(ctx.Saga, LifecycleStates.Approved), _ => _options.DeploymentTimeout)
            .TransitionTo(Approved);

    /// <summary>What is left of the approval wait, at most what SQS can delay a message (the timer is set again when it fires early).</summary>
    static TimeSpan ApprovalDelay(ModelLifecycleState saga)
    {
        var left = (saga.ApprovalDeadline ?? DateTimeOffset.UtcNow) - DateTimeOffset.UtcNow;
        return left < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left > TimeSpan.FromMinutes(15) ? TimeSpan.FromMinutes(15) : left;
    }

    /// <summary>Four-eyes: the producer of a version may not approve it (names compared without case).</summary>
    static bool SelfApproval(ModelLifecycleState saga, string approver) =>
        saga.FourEyes && saga.Producer is { } producer && string.Equals(producer.Trim(), approver.Trim(), StringComparison.OrdinalIgnoreCase);

    static string NotAwaiting(ModelLifecycleState saga) => $"{saga.ModelName} {saga.ModelVersion} is {saga.CurrentState}, not awaiting approval";

    static ApprovalRefused Refusal(ModelLifecycleState saga, string reason, string requestedBy) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Reason = reason,
        RequestedBy = requestedBy,
    };

    /// <summary>A rejection by a human (or by the expiry of the wait for one): no thresholds were broken.</summary>
    static ModelRejected HumanRejection(ModelLifecycleState saga) => new()
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

    PromotionDecision Gate(BehaviorContext<ModelLifecycleState, ModelEvaluated> ctx) =>
        ctx.GetOrAddPayload(() => _policy.Evaluate(ctx.Saga.ModelName, ctx.Message.Metrics, ctx.Message.Champion?.Metrics));

    static void Accept(ModelLifecycleState saga, TrainingCompleted message)
    {
        saga.ModelName = message.ModelName.Trim();
        saga.ModelVersion = message.ModelVersion.Trim();
        saga.RunId = message.RunId;
        saga.Artifact = new ModelArtifact
        {
            Uri = message.ArtifactUri ?? string.Empty,
            Format = message.ArtifactFormat ?? string.Empty,
            Sha256 = message.ArtifactSha256?.ToLowerInvariant() ?? string.Empty,
        };
        saga.ValidationSetUri = message.ValidationSetUri;
        saga.Task = message.Task;
        saga.Producer = message.Producer;
        saga.ProducedAt = message.ProducedAt;
        saga.TrainingMetrics = message.TrainingMetrics is null ? [] : new Dictionary<string, double>(message.TrainingMetrics);
        saga.CreatedAt = DateTimeOffset.UtcNow;
    }

    EvaluateModel EvaluateCommand(ModelLifecycleState saga) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Artifact = saga.Artifact!,
        ValidationSetUri = saga.ValidationSetUri,
        Task = saga.Task,
        Attempt = saga.EvaluationAttempts,
    };

    static StageTimedOut StageTimer(ModelLifecycleState saga, string state) => new() { ModelVersionId = saga.CorrelationId, State = state };

    static EvaluationTimedOut Timeout(ModelLifecycleState saga) => new()
    {
        ModelVersionId = saga.CorrelationId,
        Attempt = saga.EvaluationAttempts,
    };

    /// <summary>The deployment replaced a previous champion, which must hear that it is superseded.</summary>
    static bool ReplacesAnother(BehaviorContext<ModelLifecycleState, ModelDeployed> ctx) =>
        ctx.Message.PreviousModelVersionId is { } previous && previous != ctx.Saga.CorrelationId;

    static DeployModel DeployCommand(ModelLifecycleState saga, string reason) => new()
    {
        ModelVersionId = saga.CorrelationId,
        ModelName = saga.ModelName,
        ModelVersion = saga.ModelVersion,
        Artifact = saga.Artifact!,
        Reason = reason,
    };

    static ModelSuperseded SupersededMessage(ModelLifecycleState saga, ModelDeployed deployed) => new()
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

    static object Status(ModelLifecycleState saga) => new ModelVersionStatus
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
        History = saga.History.ToArray(),
    };

    static string DeployedNote(ModelDeployed message) =>
        $"serving at alias revision {message.AliasRevision}" +
        (message.PreviousModelVersion is null ? " (first champion)" : $", replacing {message.PreviousModelVersion}") +
        (message.Endpoint is null ? string.Empty : $" at {message.Endpoint}");

    static string DataNote(ModelEvaluated message) =>
        message.EvaluationSetUri is null ? string.Empty
        : message.ProducerSuppliedData ? $"; evaluated on producer-supplied data {message.EvaluationSetUri}"
        : $"; evaluated on the governed set {message.EvaluationSetUri}";

    static string ChampionNote(ChampionReference? champion) =>
        champion is null ? "; no champion yet" : $"; champion {champion.ModelVersion}: {FormatMetrics(champion.Metrics)}";

    /// <summary>The headline metrics for the audit detail (per-class figures stay in the metrics themselves).</summary>
    static string FormatMetrics(IReadOnlyDictionary<string, double> metrics) =>
        string.Join(", ", metrics.Where(m => !m.Key.Contains('_', StringComparison.Ordinal)).OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => $"{m.Key} {m.Value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}"));

    public State Evaluating { get; private set; } = null!;
    public State AwaitingApproval { get; private set; } = null!;
    public State Approved { get; private set; } = null!;
    public State Deployed { get; private set; } = null!;
    public State Rejected { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Superseded { get; private set; } = null!;
    public State RollingBack { get; private set; } = null!;
    public State Restoring { get; private set; } = null!;
    public State RolledBack { get; private set; } = null!;

    public Event<TrainingCompleted> TrainingCompleted { get; private set; } = null!;
    public Event<ModelEvaluated> ModelEvaluated { get; private set; } = null!;
    public Event<EvaluationFailed> EvaluationFailed { get; private set; } = null!;
    public Event<ModelDeployed> ModelDeployed { get; private set; } = null!;
    public Event<DeploymentFailed> DeploymentFailed { get; private set; } = null!;
    public Event<ModelSuperseded> ModelSuperseded { get; private set; } = null!;
    public Event<RollbackModel> RollbackModel { get; private set; } = null!;
    public Event<RestoreChampion> RestoreChampion { get; private set; } = null!;
    public Event<RollbackRejected> RollbackRejected { get; private set; } = null!;
    public Event<GetModelVersionStatus> GetModelVersionStatus { get; private set; } = null!;
    public Event<ApproveModel> ApproveModel { get; private set; } = null!;
    public Event<RejectModel> RejectModel { get; private set; } = null!;
    public Schedule<ModelLifecycleState, EvaluationTimedOut> EvaluationTimeout { get; private set; } = null!;
    public Schedule<ModelLifecycleState, StageTimedOut> StageTimeout { get; private set; } = null!;
}
