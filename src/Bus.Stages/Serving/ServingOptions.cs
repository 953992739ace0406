namespace Bus.Stages.Serving;

/// <summary>Configuration section <c>Bus:Serving</c>.</summary>
public sealed class ServingOptions
{
    public const string SectionName = "Bus:Serving";

    /// <summary>
    /// How often a serving host compares what it serves with the registry's production aliases, besides hearing of
    /// each deployment on its queue: the safety net for a missed or misrouted <c>model-deployed</c> event (two hosts
    /// sharing one name, a queue purged by an operator). Zero turns it off after the start-up load.
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a serving host reads its champions' artifacts again to check they are still what was deployed (an
    /// artifact overwritten or deleted in S3 makes the host degraded: it could not load that champion again). Each check
    /// reads every served artifact once; zero turns it off. Checked on the reconcile rounds, so at most that often.
    /// </summary>
    public TimeSpan VerifyInterval { get; set; } = TimeSpan.FromMinutes(5);
}
