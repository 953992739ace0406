using System.CommandLine;
using System.Text.Json;

namespace Bus.Cli;

/// <summary>`bus timeline`: the trail of one version as the saga recorded it: each transition, when, by whom, on which host, with which artifact.</summary>
static class TimelineCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "the model's name" };
        var version = new Argument<string>("version") { Description = "the version" };
        var db = new DatabaseOption();
        var json = CliOptions.Json("the transitions");
        var command = new Command("timeline", "the audit trail of a version: each transition, when, by whom, on which host, with which artifact")
        {
            model, version, db, json,
        };
        command.SetAction((result, cancellationToken) =>
            RunAsync(db.ConnectionString(result), result.GetRequiredValue(model), result.GetRequiredValue(version), result.GetValue(json),
                cancellationToken));
        return command;
    }

    static async Task<int> RunAsync(string connectionString, string model, string version, bool json, CancellationToken cancellationToken)
    {
        var database = LifecycleDatabase.Open(connectionString);
        var saga = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw new CommandException($"{model} {version} is not known in {database.Shown}");
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(saga.History, CliJson.Indented));
            return 0;
        }

        Console.WriteLine($"{model} {version} ({saga.CorrelationId}): {saga.CurrentState}, artifact {saga.Artifact?.Uri ?? "-"}");
        TextTable.Write(["AT (UTC)", "STATE", "EVENT", "BY", "HOST", "ARTIFACT", "DETAIL"],
            saga.History.Select(h => new[]
            {
                CliFormat.Time(h.At), h.State, h.Event, h.Actor ?? "-", h.Host ?? "-", h.ArtifactSha256 is { Length: >= 12 } sha ? sha[..12] : "-",
                h.Detail ?? "",
            }));
        return 0;
    }
}
