using System.Globalization;
using System.Text.Json;
using Bus.Pipeline;

namespace Bus.Cli;

/// <summary>
/// `bus status` and `bus timeline`: what the lifecycle saga recorded, read straight from the pipeline database, so
/// they answer even when no host is running.
/// </summary>
static class StatusCommands
{
    static readonly HashSet<string> Options = ["db", "json"];

    public static async Task<int> StatusAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Arguments(args, Options);
        if (a.Positional.Count is < 1 or > 2)
            throw new UsageException("usage: bus status <model> [<version>] [--db <connection string>] [--json]");
        var database = LifecycleDatabase.Open(a.ConnectionString);
        var model = a.Positional[0];

        if (a.Positional.Count == 2)
        {
            var version = a.Positional[1];
            var saga = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false)
                ?? throw new CommandException($"{model} {version} is not known in {database.Shown}");
            if (a.Flag("json"))
                Console.WriteLine(JsonSerializer.Serialize(saga, CliJson.Indented));
            else
                WriteVersion(saga);
            return 0;
        }

        var versions = await database.VersionsAsync(model, cancellationToken).ConfigureAwait(false);
        if (versions.Count == 0)
            throw new CommandException($"no versions of {model} in {database.Shown}");
        // The newest alias revision is the champion. Another version still marked Deployed is waiting for its
        // superseded notice (a host stopped between moving the alias and publishing the deployment; it is redelivered).
        var deployed = versions.Where(s => s.CurrentState == LifecycleStates.Deployed).OrderByDescending(s => s.AliasRevision).ToList();
        var champion = deployed.FirstOrDefault();
        if (a.Flag("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(versions.Select(s => new
            {
                s.ModelName,
                s.ModelVersion,
                s.CurrentState,
                Champion = s == champion,
                s.AliasRevision,
                s.Metrics,
                s.Reason,
                s.CreatedAt,
                s.UpdatedAt,
            }), CliJson.Indented));
            return 0;
        }

        Console.WriteLine(champion is null
            ? $"{model}: no version is serving" : $"{model}: champion {champion.ModelVersion} (alias revision {champion.AliasRevision})");
        foreach (var stale in deployed.Skip(1))
            Console.WriteLine($"  note: {stale.ModelVersion} is still marked Deployed at alias revision {stale.AliasRevision}; its superseded notice has not " +
                "arrived yet");
        TextTable.Write(["", "VERSION", "STATE", "ACCURACY", "UPDATED (UTC)", "REASON"],
            versions.Select(s => new[]
            {
                s == champion ? "*" : "",
                s.ModelVersion,
                s.CurrentState,
                s.Metrics.TryGetValue("accuracy", out var accuracy) ? accuracy.ToString("0.0000", CultureInfo.InvariantCulture) : "-",
                Time(s.UpdatedAt),
                s.Reason ?? "",
            }));
        return 0;
    }

    public static async Task<int> TimelineAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Arguments(args, Options);
        if (a.Positional.Count != 2)
            throw new UsageException("usage: bus timeline <model> <version> [--db <connection string>] [--json]");
        var database = LifecycleDatabase.Open(a.ConnectionString);
        var (model, version) = (a.Positional[0], a.Positional[1]);
        var saga = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw new CommandException($"{model} {version} is not known in {database.Shown}");
        if (a.Flag("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(saga.History, CliJson.Indented));
            return 0;
        }

        Console.WriteLine($"{model} {version} ({saga.CorrelationId}): {saga.CurrentState}, artifact {saga.Artifact?.Uri ?? "-"}");
        TextTable.Write(["AT (UTC)", "STATE", "EVENT", "BY", "HOST", "ARTIFACT", "DETAIL"],
            saga.History.Select(h => new[]
            {
                Time(h.At), h.State, h.Event, h.Actor ?? "-", h.Host ?? "-", h.ArtifactSha256 is { Length: >= 12 } sha ? sha[..12] : "-", h.Detail ?? "",
            }));
        return 0;
    }

    static void WriteVersion(ModelLifecycleState s)
    {
        Console.WriteLine($"{s.ModelName} {s.ModelVersion}");
        Field("id", s.CorrelationId.ToString());
        Field("state", s.CurrentState + (s.CurrentState == LifecycleStates.Deployed ? " (champion)" : ""));
        if (s.Reason is not null)
            Field("reason", s.Reason);
        Field("artifact", s.Artifact is null ? "-" : $"{s.Artifact.Uri} ({s.Artifact.Format}, sha256 {s.Artifact.Sha256})");
        Field("produced by", $"{s.Producer ?? "-"}{(s.RunId is null ? "" : $", run {s.RunId}")}");
        if (s.Metrics.Count > 0)
            Field("metrics", string.Join(", ", s.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m =>
                $"{m.Key} {m.Value.ToString("0.####", CultureInfo.InvariantCulture)}")));
        if (s.EvaluationSetUri is not null)
            Field("evaluated on", s.ProducerSuppliedData ? $"producer-supplied data {s.EvaluationSetUri}" : $"the governed set {s.EvaluationSetUri}");
        if (s.ChampionAtEvaluation is not null)
            Field("compared with", s.ChampionAtEvaluation);
        if (s.AliasRevision > 0)
            Field("alias revision", s.AliasRevision.ToString(CultureInfo.InvariantCulture));
        if (s.PreviousChampionVersion is not null)
            Field("previous champion", s.PreviousChampionVersion);
        Field("created", Time(s.CreatedAt));
        Field("updated", Time(s.UpdatedAt));
        if (s.History.Count > 0)
        {
            var last = s.History[^1];
            Field("last transition", $"{last.Event} → {last.State} by {last.Actor ?? "-"} at {Time(last.At)}");
        }
    }

    static void Field(string name, string value) => Console.WriteLine($"  {name + ":",-19}{value}");

    static string Time(DateTimeOffset at) => at == default ? "-" : at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
