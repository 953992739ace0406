using MassTransit;

namespace Bus.Pipeline;

// RollingBack and Restoring: the champion asks its predecessor to serve again; the predecessor is deployed once more.
public sealed partial class ModelLifecycleStateMachine
{
    void DuringRollingBack() =>
        During(RollingBack, [
            When(ModelSuperseded)
                .Unschedule(StageTimeout)
                .Then(ctx =>
                {
                    ctx.Saga.AliasRevision = ctx.Message.AliasRevision;
                    ctx.Saga.Reason = $"rolled back: {ctx.Saga.RollbackReason}";
                })
                .Publish(ctx => LifecycleMessages.RolledBack(ctx.Saga, ctx.Message))
                .TransitionTo(RolledBack)
                .Audit(_max, ctx => ctx.Saga.RollbackRequestedBy, ctx =>
                    $"{ctx.Message.SupersededByVersion} serves again (alias revision {ctx.Message.AliasRevision})", ctx => Replaced(ctx.Message)),
            When(RollbackRejected)
                .Unschedule(StageTimeout)
                .TransitionTo(Deployed)
                .Audit(_max, ctx => ctx.Message.RequestedBy, ctx => $"rollback failed, still the champion: {ctx.Message.Reason}"),
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.RollingBack)
                .Publish(ctx => LifecycleMessages.RollbackRejected(ctx.Saga,
                    $"the rollback did not complete within {_options.RollbackTimeout} (Bus:Lifecycle:RollbackTimeout)",
                    ctx.Saga.RollbackRequestedBy ?? "unknown"))
                .TransitionTo(Deployed)
                .Audit(_max, _ => SystemActor, _ => $"rollback did not complete within {_options.RollbackTimeout}; still the champion"),
            RefuseApproval(),
            RefuseRejection(),
            Ignore(ModelDeployed),
            Ignore(RollbackModel),
            Ignore(RestoreChampion),
            Ignore(DeploymentFailed),
            RefuseRolloutCommand(),
            .. PastEvaluation(),
        ]);

    void DuringRestoring() =>
        During(Restoring, [
            When(ModelDeployed)
                .Unschedule(StageTimeout)
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .If(ReplacesAnother, b => b.Publish(ctx => LifecycleMessages.Superseded(ctx.Saga, ctx.Message)))
                .Then(ctx => ctx.Saga.RolledBackFromId = null)
                .TransitionTo(Deployed)
                .Audit(_max, ctx => ctx.Message.DeployedBy, ctx => $"champion again after rollback; {LifecycleAuditTexts.Deployed(ctx.Message)}",
                    ctx => Serving(ctx.Message)),
            When(StageTimeout.Received, ctx => ctx.Message.State == LifecycleStates.Restoring)
                .Publish(ctx => LifecycleMessages.RestoreFailed(ctx.Saga,
                    $"restoring {ctx.Saga.ModelVersion} got no answer within {_options.DeploymentTimeout} (Bus:Lifecycle:DeploymentTimeout)", SystemActor))
                .Then(ctx => ctx.Saga.RolledBackFromId = null)
                .TransitionTo(Superseded)
                .Audit(_max, _ => SystemActor, _ => $"restore got no answer within {_options.DeploymentTimeout}; a later confirmation still makes it champion"),
            When(DeploymentFailed)
                .Unschedule(StageTimeout)
                .Publish(ctx => LifecycleMessages.RestoreFailed(ctx.Saga, $"restoring {ctx.Saga.ModelVersion} failed: {ctx.Message.Reason}",
                    ctx.Message.DeployedBy))
                .Then(ctx => ctx.Saga.RolledBackFromId = null)
                .TransitionTo(Superseded)
                .Audit(_max, ctx => ctx.Message.DeployedBy, ctx => $"restore failed: {ctx.Message.Reason}"),
            When(ModelSuperseded, ctx => ctx.Message.AliasRevision > ctx.Saga.AliasRevision)
                .Unschedule(StageTimeout)
                .Then(ServedUnheard)
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .TransitionTo(Superseded)
                .Audit(_max, ctx => null, ctx => $"superseded by {ctx.Message.SupersededByVersion} while being restored", ctx => Replaced(ctx.Message)),
            RefuseRollback(),
            RefuseApproval(),
            RefuseRejection(),
            Ignore(RestoreChampion),
            Ignore(RollbackRejected),
            RefuseRolloutCommand(),
            .. PastEvaluation(),
        ]);
}
