using System.CommandLine;
using Bus.Contracts;
using Bus.Pipeline;

namespace Bus.Cli;

/// <summary>
/// `bus rollout pause|resume|promote|abort MODEL VERSION`: an operator steers a rollout in progress, through the same
/// outbox path as a rollback, recorded with who asked and why; then follows the version until the saga has acted.
/// </summary>
static class RolloutCliCommand
{
    public static Command Create()
    {
        var command = new Command("rollout", "steer a rollout in progress on live traffic: pause it, resume it, promote the candidate now, or abort it");
        command.Subcommands.Add(Action(RolloutActions.Pause, "hold the candidate at its current share (no judgment, no next step) until resumed",
            saga => saga.Rollout!.Paused ? "the rollout is already paused" : null,
            (saga, text) => saga.Rollout?.Paused == true ? new OperatorCommand.Outcome(true, text) : null));
        command.Subcommands.Add(Action(RolloutActions.Resume, "go on judging and stepping a paused rollout (its step's bake time starts again)",
            saga => saga.Rollout!.Paused ? null : "the rollout is not paused",
            (saga, text) => saga.Rollout?.Paused == false ? new OperatorCommand.Outcome(true, text) : null));
        command.Subcommands.Add(Action(RolloutActions.Promote, "end the rollout now and move the alias to the candidate, then follow it to Deployed",
            _ => null,
            (saga, text) => saga.CurrentState == LifecycleStates.Deployed ? new OperatorCommand.Outcome(true, $"{text}; now Deployed") : null));
        command.Subcommands.Add(Action(RolloutActions.Abort,
            "end the rollout: replicas stop routing to the candidate, the version is Failed, the champion keeps serving",
            _ => null,
            (saga, text) => saga.CurrentState == LifecycleStates.Failed ? new OperatorCommand.Outcome(true, saga.Reason ?? text) : null));
        return command;
    }

    static Command Action(string action, string description, Func<ModelLifecycleState, string?> refusal,
        Func<ModelLifecycleState, string, OperatorCommand.Outcome?> done) =>
        OperatorCommand.Create(new OperatorCommand.Action(
            action,
            description,
            "the version rolling out",
            $"rollout {action}",
            saga => !LifecycleStates.RollingOut.Contains(saga.CurrentState)
                ? $"no rollout is in progress: {saga.ModelName} {saga.ModelVersion} is {saga.CurrentState}"
                : refusal(saga),
            (saga, reason, by) => new RolloutCommand { ModelVersionId = saga.CorrelationId, Action = action, Reason = reason, RequestedBy = by },
            (saga, requestedAt) => OperatorCommand.RecordSince(saga, requestedAt, nameof(RolloutCommand)) is { Detail: { } detail }
                ? detail.StartsWith($"rollout {action} refused", StringComparison.Ordinal)
                    ? new OperatorCommand.Outcome(false, $"is still {saga.CurrentState}: {detail}")
                    : done(saga, detail)
                : null));
}
