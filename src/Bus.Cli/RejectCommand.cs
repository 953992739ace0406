using System.CommandLine;
using Bus.Contracts;
using Bus.Pipeline;

namespace Bus.Cli;

/// <summary>`bus reject`: an operator refuses a version that awaits a human approval; it ends Rejected with the reason.</summary>
static class RejectCommand
{
    public static Command Create() => OperatorCommand.Create(new OperatorCommand.Action(
        "reject",
        "reject a version that awaits a human approval (the policy's RequireApproval); it ends Rejected with the reason",
        "the version awaiting approval",
        "rejection",
        saga => saga.CurrentState != LifecycleStates.AwaitingApproval
            ? $"{saga.ModelName} {saga.ModelVersion} is {saga.CurrentState}, not awaiting approval"
            : null,
        (saga, reason, by) => new RejectModel { ModelVersionId = saga.CorrelationId, Reason = reason, RejectedBy = by },
        (saga, requestedAt) => saga.CurrentState == LifecycleStates.Rejected
            ? new OperatorCommand.Outcome(true, $"rejected: {saga.Reason}")
            : OperatorCommand.RecordSince(saga, requestedAt, nameof(RejectModel)) is { Detail: { } detail }
                ? new OperatorCommand.Outcome(false, $"is still {saga.CurrentState}: {detail}")
                : null));
}
