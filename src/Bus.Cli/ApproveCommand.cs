using System.CommandLine;
using Bus.Contracts;
using Bus.Pipeline;

namespace Bus.Cli;

/// <summary>`bus approve`: an operator (not the version's producer, where the policy wants four eyes) lets a version that awaits a human be deployed.</summary>
static class ApproveCommand
{
    public static Command Create() => OperatorCommand.Create(new OperatorCommand.Action(
        "approve",
        "approve a version that passed the gate and awaits a human (the policy's RequireApproval), then follow it to its deployment",
        "the version awaiting approval",
        "approval",
        saga => saga.CurrentState != LifecycleStates.AwaitingApproval
            ? $"{saga.ModelName} {saga.ModelVersion} is {saga.CurrentState}, not awaiting approval"
            : null,
        (saga, reason, by) => new ApproveModel { ModelVersionId = saga.CorrelationId, Reason = reason, ApprovedBy = by },
        (saga, requestedAt) => saga.CurrentState is LifecycleStates.Approved or LifecycleStates.Deployed
            ? new OperatorCommand.Outcome(true, $"approved; now {saga.CurrentState}")
            : OperatorCommand.RecordSince(saga, requestedAt, nameof(ApproveModel)) is { Detail: { } detail } && detail.StartsWith("approval refused",
                StringComparison.Ordinal)
                ? new OperatorCommand.Outcome(false, $"is still {saga.CurrentState}: {detail}")
                : saga.CurrentState == LifecycleStates.Rejected ? new OperatorCommand.Outcome(false, $"was rejected: {saga.Reason}") : null));
}
