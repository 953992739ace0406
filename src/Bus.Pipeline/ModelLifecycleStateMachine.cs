using Bus.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Bus.Pipeline;

/// <summary>
/// Tracks one model version from training complete through evaluation, the promotion gate and
/// deployment. The saga never knows who listens to its events; it only sends two commands
/// (evaluate, deploy) to queues named by configuration.
/// </summary>
/// <remarks>
/// This file holds the events and their correlation; each state's behaviour, refusals and ignores included, sits in one
/// block, in lifecycle order: <c>.Evaluating.cs</c> (announced, evaluating), <c>.Approval.cs</c> (awaiting approval,
/// approved), <c>.Canary.cs</c> (a stepped rollout on live traffic), <c>.Serving.cs</c> (deployed, superseded),
/// <c>.Rollback.cs</c> (rolling back, restoring) and
/// <c>.Ended.cs</c> (rejected, failed, rolled back). The messages it builds are in <see cref="LifecycleMessages"/>,
/// its audit texts in <see cref="LifecycleAuditTexts"/>.
/// </remarks>
public sealed partial class ModelLifecycleStateMachine : MassTransitStateMachine<ModelLifecycleState>
{
    /// <summary>The actor the saga names when it acts on its own (a timeout, a restore it asks for): audited as the system.</summary>
    public const string SystemActor = ModelLifecycleStateDefinition.QueueName;

    readonly ModelLifecycleOptions _options;
    readonly PromotionPolicy _policy;
    readonly Uri _evaluateAddress;
    readonly Uri _deployAddress;
    readonly int _max;

    public ModelLifecycleStateMachine(IOptions<ModelLifecycleOptions> options)
    {
        _options = options.Value;
        _policy = new PromotionPolicy(_options.Promotion);
        _evaluateAddress = new Uri($"queue:{_options.EvaluationQueue}");
        _deployAddress = new Uri($"queue:{_options.DeploymentQueue}");
        _max = _options.MaxHistoryEntries;

        InstanceState(x => x.CurrentState);

        // A name or version that breaks ModelVersionKey's rule throws here: no instance is made for it (it could share an
        // id with a valid one), and the announcement goes to the error queue with the reason.
        Event(() => TrainingCompleted, x => x.CorrelateById(ctx => ModelVersionKey.For(ctx.Message.ModelName, ctx.Message.ModelVersion)));
        Event(() => ModelEvaluated, x => ForKnownVersion(x, m => m.ModelVersionId));
        Event(() => EvaluationFailed, x => ForKnownVersion(x, m => m.ModelVersionId));
        Event(() => ModelDeployed, x => ForKnownVersion(x, m => m.ModelVersionId));
        Event(() => DeploymentFailed, x => ForKnownVersion(x, m => m.ModelVersionId));
        Event(() => ModelSuperseded, x => ForKnownVersion(x, m => m.ModelVersionId));
        Event(() => RestoreChampion, x => ForKnownVersion(x, m => m.ModelVersionId));
        Event(() => RollbackRejected, x => ForKnownVersion(x, m => m.ModelVersionId));
        Event(() => ServingReport, x => ForKnownVersion(x, m => m.CandidateVersionId));

        // An operator's command for a version the saga does not know is refused with the reason, not dropped.
        OperatorCommand(() => RollbackModel, m => m.ModelVersionId, m => LifecycleMessages.UnknownRollback(m.ModelVersionId, m.RequestedBy));
        OperatorCommand(() => ApproveModel, m => m.ModelVersionId, m => LifecycleMessages.UnknownDecision(m.ModelVersionId, m.ApprovedBy));
        OperatorCommand(() => RejectModel, m => m.ModelVersionId, m => LifecycleMessages.UnknownDecision(m.ModelVersionId, m.RejectedBy));
        OperatorCommand(() => RolloutCommand, m => m.ModelVersionId, LifecycleMessages.UnknownRollout);
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

        // The rollout's tick: the first begins it, each later one judges the window behind it.
        Schedule(() => RolloutTimer, x => x.RolloutTimerTokenId, s =>
        {
            s.Delay = TimeSpan.FromMinutes(1);
            s.Received = r => r.CorrelateById(ctx => ctx.Message.ModelVersionId);
        });

        WhenAnnounced();
        DuringEvaluating();
        DuringAwaitingApproval();
        DuringApproved();
        WhenRolloutBegins();
        DuringCanary();
        DuringDeployed();
        DuringSuperseded();
        DuringRollingBack();
        DuringRestoring();
        DuringRejectedOrRolledBack();
        DuringFailed();

        DuringAny(
            When(GetModelVersionStatus).RespondAsync(ctx => ctx.Init<ModelVersionStatus>(LifecycleMessages.Status(ctx.Saga))));

        // Anything else is logged and dropped rather than faulted into an endless error loop.
        OnUnhandledEvent(ctx =>
        {
            // Replicas report, and the rollout's timer ticks, until they hear that a rollout ended: nothing to say after that.
            if (ctx.Event.Name is nameof(ServingReport) || ctx.Event.Name == RolloutTimer.Received.Name)
                return Task.CompletedTask;
            LogContext.Warning?.Log("Ignored {Event} for {ModelName} {ModelVersion} in state {State}",
                ctx.Event.Name, ctx.Saga.ModelName, ctx.Saga.ModelVersion, ctx.Saga.CurrentState);
            return Task.CompletedTask;
        });
    }

    static void ForKnownVersion<T>(IEventCorrelationConfigurator<ModelLifecycleState, T> x, Func<T, Guid> id)
        where T : class
    {
        x.CorrelateById(ctx => id(ctx.Message));
        x.OnMissingInstance(m => m.Discard());
    }

    void OperatorCommand<T>(System.Linq.Expressions.Expression<Func<Event<T>>> command, Func<T, Guid> id, Func<T, object> unknown)
        where T : class =>
        Event(command, x =>
        {
            x.CorrelateById(ctx => id(ctx.Message));
            x.OnMissingInstance(m => m.ExecuteAsync(ctx => ctx.Publish(unknown(ctx.Message))));
        });

    /// <summary>An event that came after the version moved on (a redelivery, an at-least-once bus): logged, not acted on.</summary>
    EventActivityBinder<ModelLifecycleState, T> Late<T>(Event<T> @event, StateMachineCondition<ModelLifecycleState, T>? filter = null)
        where T : class =>
        (filter is null ? When(@event) : When(@event, filter)).Then(ctx =>
            LogContext.Warning?.Log("Ignored a late {Event} for {ModelName} {ModelVersion}: the version is already {State}",
                ctx.Event.Name, ctx.Saga.ModelName, ctx.Saga.ModelVersion, ctx.Saga.CurrentState));

    /// <summary>A rollback asked of a version that is not the champion: refused with the reason, and the refusal recorded.</summary>
    EventActivityBinder<ModelLifecycleState, RollbackModel> RefuseRollback() =>
        When(RollbackModel)
            .Publish(ctx => LifecycleMessages.RollbackRejected(ctx.Saga, LifecycleAuditTexts.NotChampion(ctx.Saga), ctx.Message.RequestedBy))
            .Audit(_max, ctx => ctx.Message.RequestedBy, ctx =>
                $"rollback refused: only the deployed champion can be rolled back; this version is {ctx.Saga.CurrentState}");

    /// <summary>An approval of a version that does not await one: refused, and the refusal recorded.</summary>
    EventActivityBinder<ModelLifecycleState, ApproveModel> RefuseApproval() =>
        When(ApproveModel)
            .Publish(ctx => LifecycleMessages.ApprovalRefused(ctx.Saga, LifecycleAuditTexts.NotAwaiting(ctx.Saga), ctx.Message.ApprovedBy))
            .Audit(_max, ctx => ctx.Message.ApprovedBy, ctx => $"approval refused: {LifecycleAuditTexts.NotAwaiting(ctx.Saga)}");

    /// <summary>A rejection of a version that does not await a decision: refused, and the refusal recorded.</summary>
    EventActivityBinder<ModelLifecycleState, RejectModel> RefuseRejection() =>
        When(RejectModel)
            .Publish(ctx => LifecycleMessages.ApprovalRefused(ctx.Saga, LifecycleAuditTexts.NotAwaiting(ctx.Saga), ctx.Message.RejectedBy))
            .Audit(_max, ctx => ctx.Message.RejectedBy, ctx => $"rejection refused: {LifecycleAuditTexts.NotAwaiting(ctx.Saga)}");

    /// <summary>A version past its evaluation hears its announcement or evaluation again (a redelivery, a retry that crossed): ignored.</summary>
    EventActivities<ModelLifecycleState>[] PastEvaluation() =>
        [Ignore(TrainingCompleted), Ignore(ModelEvaluated), Ignore(EvaluationFailed), Ignore(EvaluationTimeout.Received)];

    /// <summary>The deployment replaced a previous champion, which must hear that it is superseded.</summary>
    static bool ReplacesAnother(BehaviorContext<ModelLifecycleState, ModelDeployed> ctx) =>
        ctx.Message.PreviousModelVersionId is { } previous && previous != ctx.Saga.CorrelationId;

    /// <summary>The serving that a ModelSuperseded ends: the revision before the replacing one, until the replacement.</summary>
    static ServingPeriod Replaced(ModelSuperseded m) => new(m.AliasRevision - 1, m.ServedFrom, ServingPeriod.Known(m.SupersededAt));

    static ServingPeriod Serving(ModelDeployed m) => new(m.AliasRevision, ServingPeriod.Known(m.DeployedAt), null);

    /// <summary>
    /// A version replaced before its own ModelDeployed was heard still served, at the revision before the one that replaced
    /// it (ModelSuperseded goes to the alias the replacing deployment moved away from): the log records that it was Deployed
    /// there, so every alias revision has its Deployed record even when the events arrive out of order.
    /// </summary>
    void ServedUnheard(BehaviorContext<ModelLifecycleState, ModelSuperseded> ctx) =>
        AuditExtensions.Append(ctx, ctx.Event.Name, null, LifecycleAuditTexts.ServedUnheard(ctx.Message), _max, LifecycleStates.Deployed,
            Replaced(ctx.Message));

    public State Evaluating { get; private set; } = null!;
    public State AwaitingApproval { get; private set; } = null!;
    public State Approved { get; private set; } = null!;
    public State Canary { get; private set; } = null!;
    public State Shadow { get; private set; } = null!;
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
    public Event<ServingReport> ServingReport { get; private set; } = null!;
    public Event<RolloutCommand> RolloutCommand { get; private set; } = null!;
    public Schedule<ModelLifecycleState, RolloutTimerDue> RolloutTimer { get; private set; } = null!;
}
