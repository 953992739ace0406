namespace Bus.Contracts;

/// <summary>How a rollout ends.</summary>
public static class RolloutOutcomes
{
    public const string Promoted = "promoted";
    public const string Aborted = "aborted";
}
