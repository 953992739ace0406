using Bus.Contracts;
using MassTransit;

namespace Bus.Pipeline;

// Deployed and Superseded: the champion serves until a newer version replaces it or an operator rolls it back.
public sealed partial class ModelLifecycleStateMachine
{
    void DuringDeployed() =>
        During(Deployed, [
            When(ModelSuperseded, ctx => ctx.Message.AliasRevision > ctx.Saga.AliasRevision)
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .TransitionTo(Superseded)
                .Audit(_max, ctx => null, ctx => $"superseded by {ctx.Message.SupersededByVersion} (alias revision {ctx.Message.AliasRevision})",
                    ctx => Replaced(ctx.Message)),
            // Redelivered or out-of-date news (an at-least-once bus, several hosts): the alias revision says which is newer.
            Late(ModelSuperseded, ctx => ctx.Message.AliasRevision <= ctx.Saga.AliasRevision),
            Late(ModelDeployed, ctx => ctx.Message.AliasRevision <= ctx.Saga.AliasRevision),
            When(RollbackModel, ctx => ctx.Saga.PreviousChampionId is null)
                .Publish(ctx => LifecycleMessages.RollbackRejected(ctx.Saga,
                    "no previous champion to restore: this is the first deployed version of the model", ctx.Message.RequestedBy))
                .Audit(_max, ctx => ctx.Message.RequestedBy, _ => "rollback refused: no previous champion"),
            When(RollbackModel, ctx => ctx.Saga.PreviousChampionId is not null)
                .Then(ctx =>
                {
                    ctx.Saga.RollbackReason = ctx.Message.Reason;
                    ctx.Saga.RollbackRequestedBy = ctx.Message.RequestedBy;
                })
                .Publish(ctx => LifecycleMessages.Restore(ctx.Saga, ctx.Message))
                .Schedule(StageTimeout, ctx => LifecycleMessages.StageTimer(ctx.Saga, LifecycleStates.RollingBack), _ => _options.RollbackTimeout)
                .TransitionTo(RollingBack)
                .Audit(_max, ctx => ctx.Message.RequestedBy, ctx => $"rollback requested: {ctx.Message.Reason}; restoring {ctx.Saga.PreviousChampionVersion}"),
            RefuseApproval(),
            RefuseRejection(),
            Ignore(RollbackRejected),
            Ignore(RestoreChampion),
            Ignore(DeploymentFailed),
            RefuseRolloutCommand(),
            .. PastEvaluation(),
        ]);

    void DuringSuperseded() =>
        During(Superseded, [
            When(RestoreChampion)
                .Then(ctx => ctx.Saga.RolledBackFromId = ctx.Message.RolledBackFromId)
                .Send(_deployAddress, ctx => LifecycleMessages.Deploy(ctx.Saga, DeploymentReason.Rollback))
                .Schedule(StageTimeout, ctx => LifecycleMessages.StageTimer(ctx.Saga, LifecycleStates.Restoring), _ => _options.DeploymentTimeout)
                .TransitionTo(Restoring)
                .Audit(_max, ctx => ctx.Message.RequestedBy, ctx => $"restoring as champion: {ctx.Message.Reason}"),
            // This version's own confirmation, after a newer deployment already replaced it: it is no longer the
            // champion, but the champion it replaced at that revision must still hear that it was superseded.
            Late(ModelDeployed, ctx => ctx.Message.AliasRevision <= ctx.Saga.AliasRevision)
                .If(ReplacesAnother, b => b.Publish(ctx => LifecycleMessages.Superseded(ctx.Saga, ctx.Message))),
            // Put back by someone else (an operator redeploying it directly).
            When(ModelDeployed, ctx => ctx.Message.AliasRevision > ctx.Saga.AliasRevision)
                .Then(ctx => ctx.Saga.AliasRevision = ctx.Message.AliasRevision)
                .If(ReplacesAnother, b => b.Publish(ctx => LifecycleMessages.Superseded(ctx.Saga, ctx.Message)))
                .TransitionTo(Deployed)
                .Audit(_max, ctx => ctx.Message.DeployedBy, ctx => LifecycleAuditTexts.Deployed(ctx.Message), ctx => Serving(ctx.Message)),
            RefuseRollback(),
            RefuseApproval(),
            RefuseRejection(),
            Ignore(ModelSuperseded),
            RefuseRolloutCommand(),
            .. PastEvaluation(),
        ]);
}
