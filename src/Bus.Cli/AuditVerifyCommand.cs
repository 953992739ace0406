using System.CommandLine;
using System.Data.Common;
using System.Text.Json;
using Bus.Persistence.Audit;

namespace Bus.Cli;

/// <summary>
/// `bus audit verify`: checks the whole hash chain and names the first broken row (edited, deleted, inserted or
/// moved); with <c>--anchor</c>, also that the log still reaches the anchored head (a cut tail). Exit 0 valid, 1 broken.
/// </summary>
static class AuditVerifyCommand
{
    public static Command Create()
    {
        var db = new DatabaseOption();
        var aws = new AwsEndpointOptions();
        var anchor = new Option<string?>("--anchor")
        {
            Description = "an anchor written by `bus audit anchor`, to detect a cut tail or a rewritten chain",
            HelpName = "file|s3://bucket/key",
        };
        var json = CliOptions.Json("the outcome");
        var command = new Command("verify", "checks the audit log's hash chain from the first row to the last and names the first broken row")
        {
            anchor, json, db,
        };
        aws.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(db.ConnectionString(result), result.GetValue(anchor), result.GetValue(json),
            new AuditAnchorStore(() => aws.S3(result)), cancellationToken));
        return command;
    }

    static async Task<int> RunAsync(string connectionString, string? anchorPath, bool json, AuditAnchorStore store, CancellationToken cancellationToken)
    {
        var database = LifecycleDatabase.Open(connectionString);
        var anchor = anchorPath is null ? null : await store.ReadAsync(anchorPath, cancellationToken).ConfigureAwait(false);
        AuditVerification outcome;
        try
        {
            outcome = await new AuditLog(connectionString).VerifyAsync(anchor, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            throw AuditRows.Unreadable(database, ex);
        }

        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                outcome.Valid,
                outcome.Rows,
                outcome.HeadSequence,
                outcome.HeadHash,
                outcome.BrokenAt,
                outcome.Problem,
                Anchor = anchor,
            }, CliJson.Indented));
        else if (outcome.Valid)
            Console.WriteLine($"audit log valid: {outcome.Rows:N0} row(s), head {outcome.HeadSequence} {outcome.HeadHash}" +
                (anchor is null ? "" : $"; reaches the anchor of {anchor.At:u} (row {anchor.Sequence})"));
        else
            Console.WriteLine($"audit log BROKEN at row {outcome.BrokenAt}: {outcome.Problem}");
        return outcome.Valid ? BusCommandLine.Done : BusCommandLine.Failed;
    }
}
