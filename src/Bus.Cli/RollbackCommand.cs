using System.CommandLine;
using Bus.Contracts;
using Bus.Pipeline;

namespace Bus.Cli;

/// <summary>`bus rollback`: asks the lifecycle saga to take the champion out and restore the previous one.</summary>
static class RollbackCommand
{
    public static Command Create() => OperatorCommand.Create(new OperatorCommand.Action(
        "rollback",
        "restore the previous champion; the request is stored in the pipeline's outbox (delivered even if SNS is down right now), then followed to " +
            "its outcome",
        "the deployed champion to roll back",
        "rollback",
        saga => saga.CurrentState != LifecycleStates.Deployed
            ? $"only the deployed champion can be rolled back; {saga.ModelName} {saga.ModelVersion} is {saga.CurrentState}"
            : saga.PreviousChampionId is null
                ? $"{saga.ModelName} {saga.ModelVersion} has no previous champion to restore: it is the first deployed version of {saga.ModelName}"
                : null,
        (saga, reason, by) => new RollbackModel { ModelVersionId = saga.CorrelationId, Reason = reason, RequestedBy = by },
        (saga, requestedAt) => saga.CurrentState == LifecycleStates.RolledBack
            ? new OperatorCommand.Outcome(true, $"rolled back: {saga.History[^1].Detail}")
            : saga.CurrentState == LifecycleStates.Deployed && OperatorCommand.RecordSince(saga, requestedAt, nameof(RollbackRejected)) is { } refused
                ? new OperatorCommand.Outcome(false, $"is still the champion: {refused.Detail}")
                : null));
}
