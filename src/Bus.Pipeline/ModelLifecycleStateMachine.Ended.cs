using MassTransit;

namespace Bus.Pipeline;

// Rejected, Failed and RolledBack: the version does not move again by itself; late news is logged, commands refused.
public sealed partial class ModelLifecycleStateMachine
{
    void DuringRejectedOrRolledBack() =>
        During(Rejected, RolledBack, [
            .. Ended(),
            Late(ModelDeployed),
            Ignore(ModelSuperseded),
        ]);

    /// <summary>
    /// Failed for want of a deployment answer: a confirmation that comes after all means the version served, and the
    /// record must say so (Deployed, or Superseded when a newer one already replaced it).
    /// </summary>
    void DuringFailed() =>
        During(Failed, [
            .. Ended(),
            Late(ModelDeployed, ctx => !ctx.Saga.DeploymentUnconfirmed),
            When(ModelDeployed, ctx => ctx.Saga.DeploymentUnconfirmed)
                .Then(ctx =>
                {
                    ctx.Saga.DeploymentUnconfirmed = false;
                    ctx.Saga.Reason = null;
                    ctx.Saga.AliasRevision = ctx.Message.AliasRevision;
                    ctx.Saga.PreviousChampionId = ctx.Message.PreviousModelVersionId;
                    ctx.Saga.PreviousChampionVersion = ctx.Message.PreviousModelVersion;
                })
                .If(ReplacesAnother, b => b.Publish(ctx => LifecycleMessages.Superseded(ctx.Saga, ctx.Message)))
                .TransitionTo(Deployed)
                .Audit(_max, ctx => ctx.Message.DeployedBy, ctx => $"deployment confirmed after its timeout; {LifecycleAuditTexts.Deployed(ctx.Message)}",
                    ctx => Serving(ctx.Message)),
            When(ModelSuperseded, ctx => !ctx.Saga.DeploymentUnconfirmed).Then(_ => { }),
            When(ModelSuperseded, ctx => ctx.Saga.DeploymentUnconfirmed)
                .Then(ServedUnheard)
                .Then(ctx =>
                {
                    ctx.Saga.DeploymentUnconfirmed = false;
                    ctx.Saga.AliasRevision = ctx.Message.AliasRevision;
                })
                .TransitionTo(Superseded)
                .Audit(_max, ctx => null, ctx =>
                    $"superseded by {ctx.Message.SupersededByVersion} (alias revision {ctx.Message.AliasRevision}); its own deployment was never confirmed",
                    ctx => Replaced(ctx.Message)),
        ]);

    /// <summary>What every final state does: news of the evaluation or deployment is late, commands are refused.</summary>
    EventActivities<ModelLifecycleState>[] Ended() =>
    [
        Late(ModelEvaluated),
        Late(EvaluationFailed),
        Late(DeploymentFailed),
        RefuseRollback(),
        RefuseApproval(),
        RefuseRejection(),
        RefuseRolloutCommand(),
        Ignore(TrainingCompleted),
        Ignore(EvaluationTimeout.Received),
        Ignore(StageTimeout.Received),
        Ignore(RestoreChampion),
        Ignore(RollbackRejected),
    ];
}
