namespace Bus.Contracts;

/// <summary>What an operator may ask of a rollout.</summary>
public static class RolloutActions
{
    public const string Pause = "pause";
    public const string Resume = "resume";
    public const string Promote = "promote";
    public const string Abort = "abort";

    public static IReadOnlyList<string> All { get; } = [Pause, Resume, Promote, Abort];
}
