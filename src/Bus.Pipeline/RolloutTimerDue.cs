namespace Bus.Pipeline;

/// <summary>The saga's own tick during a rollout: the first starts it, each later one judges the window behind it. Internal to the saga host.</summary>
public sealed record RolloutTimerDue
{
    public required Guid ModelVersionId { get; init; }
}
