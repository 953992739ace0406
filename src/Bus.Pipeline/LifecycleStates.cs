namespace Bus.Pipeline;

/// <summary>State names as stored and shown (CLI, audit). Renaming one is a data migration.</summary>
public static class LifecycleStates
{
    public const string Evaluating = nameof(Evaluating);
    public const string AwaitingApproval = nameof(AwaitingApproval);
    public const string Approved = nameof(Approved);
    public const string Canary = nameof(Canary);
    public const string Shadow = nameof(Shadow);

    /// <summary>The states of a rollout on live traffic (a share of callers, or a copy of their requests).</summary>
    public static readonly IReadOnlySet<string> RollingOut = new HashSet<string>(StringComparer.Ordinal) { Canary, Shadow };
    public const string Deployed = nameof(Deployed);
    public const string Rejected = nameof(Rejected);
    public const string Failed = nameof(Failed);
    public const string Superseded = nameof(Superseded);
    public const string RollingBack = nameof(RollingBack);
    public const string Restoring = nameof(Restoring);
    public const string RolledBack = nameof(RolledBack);

    /// <summary>States a version does not leave by itself.</summary>
    public static readonly IReadOnlySet<string> Final = new HashSet<string>(StringComparer.Ordinal)
    {
        Rejected, Failed, RolledBack,
    };
}
