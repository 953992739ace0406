using MassTransit;

namespace Bus.Pipeline;

// AwaitingApproval and Approved: a human decides where the policy asks for one; an approved version waits for its deployment.
public sealed partial class ModelLifecycleStateMachine
{
    /// <summary>The policy wants a human: an operator other than the producer (four-eyes) approves or rejects, or the wait expires.</summary>
    void DuringAwaitingApproval() =>
        During(AwaitingApproval, [
            When(ApproveModel, ctx => SelfApproval(ctx.Saga, ctx.Message.ApprovedBy))
                .Publish(ctx => LifecycleMessages.ApprovalRefused(ctx.Saga, LifecycleAuditTexts.SelfApproval(ctx.Message.ApprovedBy), ctx.Message.ApprovedBy))
                .Audit(_max, ctx => ctx.Message.ApprovedBy, ctx => $"approval refused: {ctx.Message.ApprovedBy} produced this version (four-eyes)"),
            Promote(When(ApproveModel, ctx => !SelfApproval(ctx.Saga, ctx.Message.ApprovedBy))
                    .Unschedule(StageTimeout)
                    .Then(ctx =>
                    {
                        ctx.Saga.ApprovalDeadline = null;
                        ctx.Saga.ApprovedBy = ctx.Message.ApprovedBy;
                    }))
                .Audit(_max, ctx => ctx.Message.ApprovedBy, ctx => $"approved by {ctx.Message.ApprovedBy}: {ctx.Message.Reason}"),
            When(RejectModel)
                .Unschedule(StageTimeout)
                .Then(ctx => ctx.Saga.Reason = $"rejected by {ctx.Message.RejectedBy}: {ctx.Message.Reason}")
                .Publish(ctx => LifecycleMessages.HumanRejection(ctx.Saga))
                .TransitionTo(Rejected)
                .Audit(_max, ctx => ctx.Message.RejectedBy, ctx => ctx.Saga.Reason),
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.AwaitingApproval && ctx.Saga.ApprovalDeadline <= DateTimeOffset.UtcNow)
                .Then(ctx => ctx.Saga.Reason = $"approval expired: no operator decided within {_options.ApprovalTimeout} (Bus:Lifecycle:ApprovalTimeout)")
                .Publish(ctx => LifecycleMessages.HumanRejection(ctx.Saga))
                .TransitionTo(Rejected)
                .Audit(_max, _ => SystemActor, ctx => ctx.Saga.Reason),
            // Longer waits than SQS can delay a message: the timer is set again for what is left.
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.AwaitingApproval && ctx.Saga.ApprovalDeadline > DateTimeOffset.UtcNow)
                .Schedule(StageTimeout, ctx => LifecycleMessages.StageTimer(ctx.Saga, LifecycleStates.AwaitingApproval), ctx => ApprovalDelay(ctx.Saga)),
            RefuseRollback(),
            RefuseRolloutCommand(),
            .. PastEvaluation(),
        ]);

    void DuringApproved() =>
        During(Approved, [
            When(ModelDeployed)
                .Unschedule(StageTimeout)
                .Then(ctx =>
                {
                    ctx.Saga.AliasRevision = ctx.Message.AliasRevision;
                    ctx.Saga.PreviousChampionId = ctx.Message.PreviousModelVersionId;
                    ctx.Saga.PreviousChampionVersion = ctx.Message.PreviousModelVersion;
                })
                .If(ReplacesAnother, b => b.Publish(ctx => LifecycleMessages.Superseded(ctx.Saga, ctx.Message)))
                .TransitionTo(Deployed)
                .Audit(_max, ctx => ctx.Message.DeployedBy, ctx => LifecycleAuditTexts.Deployed(ctx.Message), ctx => Serving(ctx.Message)),
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.Approved)
                .Then(ctx =>
                {
                    ctx.Saga.DeploymentUnconfirmed = true;
                    ctx.Saga.Reason = $"no deployment answer within {_options.DeploymentTimeout} (Bus:Lifecycle:DeploymentTimeout); a later confirmation is " +
                        "still recorded";
                })
                .TransitionTo(Failed)
                .Audit(_max, _ => SystemActor, ctx => ctx.Saga.Reason),
            When(DeploymentFailed)
                .Unschedule(StageTimeout)
                .Then(ctx => ctx.Saga.Reason = $"deployment failed: {ctx.Message.Reason}; the previous champion keeps serving")
                .TransitionTo(Failed)
                .Audit(_max, ctx => ctx.Message.DeployedBy, ctx => ctx.Saga.Reason),
            // Out of order: a later deployment replaced this version before its own ModelDeployed arrived.
            When(ModelSuperseded)
                .Unschedule(StageTimeout)
                .Then(ServedUnheard)
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .TransitionTo(Superseded)
                .Audit(_max, ctx => null, ctx =>
                    $"superseded by {ctx.Message.SupersededByVersion} (alias revision {ctx.Message.AliasRevision}) before its own deployment was confirmed",
                    ctx => Replaced(ctx.Message)),
            RefuseRollback(),
            RefuseApproval(),
            RefuseRejection(),
            Ignore(RestoreChampion),
            Ignore(RollbackRejected),
            RefuseRolloutCommand(),
            .. PastEvaluation(),
        ]);

    /// <summary>A version cleared for deployment (by the gate, or by an operator after it): ModelApproved, DeployModel, the deployment timer.</summary>
    EventActivityBinder<ModelLifecycleState, T> Promote<T>(EventActivityBinder<ModelLifecycleState, T> binder)
        where T : class =>
        binder
            .Publish(ctx => LifecycleMessages.Approved(ctx.Saga))
            .IfElse(ctx => Stepped(ctx.Saga),
                // A stepped rollout begins on the saga's own first tick, in a transition of its own (Approved → Canary).
                rollout => rollout
                    .Then(ctx => ctx.Saga.Rollout = new Rollout.RolloutProgress
                    {
                        Mode = RolloutPolicy(ctx.Saga).Mode,
                        Steps = [.. RolloutPolicy(ctx.Saga).Steps],
                    })
                    .Schedule(RolloutTimer, ctx => LifecycleMessages.RolloutTick(ctx.Saga), _ => TimeSpan.FromSeconds(1)),
                direct => direct.Send(_deployAddress, ctx => LifecycleMessages.Deploy(ctx.Saga, Contracts.DeploymentReason.Promotion)))
            .Schedule(StageTimeout, ctx => LifecycleMessages.StageTimer(ctx.Saga, LifecycleStates.Approved), _ => _options.DeploymentTimeout)
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
}
