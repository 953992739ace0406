namespace Bus.Contracts;

/// <summary>Command: an operator steers a rollout in progress (pause, resume, promote now, abort).</summary>
[Stage("rollout.command")]
public sealed record RolloutCommand
{
    public required Guid ModelVersionId { get; init; }

    /// <summary>One of <see cref="RolloutActions.All"/>.</summary>
    public required string Action { get; init; }
    public required string Reason { get; init; }
    public required string RequestedBy { get; init; }
}
