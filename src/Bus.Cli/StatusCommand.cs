using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Bus.Pipeline;

namespace Bus.Cli;

/// <summary>
/// `bus status`: every version of a model (state, accuracy, which one serves) or one version in full, read straight
/// from the pipeline database, so it answers even when no host is running.
/// </summary>
static class StatusCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "the model's name" };
        var version = new Argument<string?>("version")
        {
            Description = "one version, in full (without it: every version, one line each)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var db = new DatabaseOption();
        var json = CliOptions.Json("the versions (or the version's whole saga state)");
        var command = new Command("status", "every version of a model (state, accuracy, which one serves), or one version") { model, version, db, json };
        command.SetAction((result, cancellationToken) =>
            RunAsync(db.ConnectionString(result), result.GetRequiredValue(model), result.GetValue(version), result.GetValue(json), cancellationToken));
        return command;
    }

    static async Task<int> RunAsync(string connectionString, string model, string? version, bool json, CancellationToken cancellationToken)
    {
        var database = LifecycleDatabase.Open(connectionString);
        if (version is not null)
        {
            var saga = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false)
                ?? throw new CommandException($"{model} {version} is not known in {database.Shown}");
            if (json)
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
        if (json)
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
                CliFormat.Time(s.UpdatedAt),
                s.Reason ?? "",
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
        if (Bus.Pipeline.Rollout.RolloutProgress.Summary(s) is { } rollout)
            Field("rollout", rollout);
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
        Field("created", CliFormat.Time(s.CreatedAt));
        Field("updated", CliFormat.Time(s.UpdatedAt));
        if (s.History.Count > 0)
        {
            var last = s.History[^1];
            Field("last transition", $"{last.Event} → {last.State} by {last.Actor ?? "-"} at {CliFormat.Time(last.At)}");
        }
    }

    static void Field(string name, string value) => Console.WriteLine($"  {name + ":",-19}{value}");
}
