using System.Globalization;
using Bus.Contracts;

namespace Bus.Pipeline;

/// <summary>The details the saga writes into each audit record: what an auditor reads beside who, what and when.</summary>
static class LifecycleAuditTexts
{
    public static string Announced(TrainingCompleted message) =>
        $"run {message.RunId ?? "?"}, {message.ArtifactFormat} artifact {message.ArtifactUri}";

    /// <summary>An evaluation's outcome: the metrics, what the gate said (or <paramref name="outcome"/>), the champion and the data.</summary>
    public static string Evaluated(ModelEvaluated message, string outcome) =>
        $"{Metrics(message.Metrics)}; {outcome}{Champion(message)}{Data(message)}";

    public static string Deployed(ModelDeployed message) =>
        $"serving at alias revision {message.AliasRevision}" +
        (message.PreviousModelVersion is null ? " (first champion)" : $", replacing {message.PreviousModelVersion}") +
        (message.Endpoint is null ? string.Empty : $" at {message.Endpoint}");

    /// <summary>
    /// A version replaced before its own ModelDeployed was heard still served, at the revision before the one that replaced it.
    /// </summary>
    public static string ServedUnheard(ModelSuperseded message) =>
        $"served as champion at alias revision {message.AliasRevision - 1} until {message.SupersededByVersion} replaced it; " +
        "its own ModelDeployed had not been heard yet";

    public static string NotAwaiting(ModelLifecycleState saga) => $"{saga.ModelName} {saga.ModelVersion} is {saga.CurrentState}, not awaiting approval";

    public static string NotChampion(ModelLifecycleState saga) => $"only the deployed champion can be rolled back; {saga.ModelVersion} is {saga.CurrentState}";

    public static string SelfApproval(string approver) => $"four-eyes: {approver} produced this version; another operator must approve it";

    static string Data(ModelEvaluated message) =>
        message.EvaluationSetUri is null ? string.Empty
        : message.ProducerSuppliedData ? $"; evaluated on producer-supplied data {message.EvaluationSetUri}"
        : $"; evaluated on the governed set {message.EvaluationSetUri}";

    static string Champion(ModelEvaluated message) => message switch
    {
        { ChampionProblem: { } problem } => $"; {problem}: judged on its own, against the absolute thresholds only",
        { Champion: null } => "; no champion yet",
        { Champion: var champion } => $"; champion {champion.ModelVersion}: {Metrics(champion.Metrics)}",
    };

    /// <summary>The headline metrics (per-class figures stay in the metrics themselves).</summary>
    static string Metrics(IReadOnlyDictionary<string, double> metrics) =>
        string.Join(", ", metrics.Where(m => !m.Key.Contains('_', StringComparison.Ordinal)).OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => $"{m.Key} {m.Value.ToString("0.####", CultureInfo.InvariantCulture)}"));
}
