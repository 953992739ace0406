using System.CommandLine;
using System.Data.Common;
using Bus.Persistence.Audit;

namespace Bus.Cli;

/// <summary>
/// `bus audit anchor --out FILE|s3://bucket/key`: writes the chain's head (sequence, hash, time) where the database's
/// writers cannot reach it (on S3 with Object Lock retention when the bucket has it); `bus audit verify --anchor` later
/// proves the log still reaches it.
/// </summary>
static class AuditAnchorCommand
{
    public static Command Create()
    {
        var db = new DatabaseOption();
        var aws = new AwsEndpointOptions();
        var retain = CliOptions.WholeNumber("--retain-days", "days", "how long S3 Object Lock keeps the anchor (when the bucket has Object Lock)", 1,
            () => 365);
        var command = new Command("anchor", "writes the audit log's head (sequence, hash, time) to a new file or S3 object, for `bus audit verify " +
            "--anchor`")
        {
            retain, db,
        };
        aws.AddTo(command);
        var output = CliOptions.Required(command, "--out", "file|s3://bucket/key",
            "where to write the anchor (never overwritten; on S3 with Object Lock when the bucket has it)", "the anchor must be kept apart from the database");
        command.SetAction((result, cancellationToken) => RunAsync(db.ConnectionString(result), result.GetValue(output)!, result.GetValue(retain),
            new AuditAnchorStore(() => aws.S3(result)), cancellationToken));
        return command;
    }

    static async Task<int> RunAsync(string connectionString, string target, int retainDays, AuditAnchorStore store, CancellationToken cancellationToken)
    {
        var database = LifecycleDatabase.Open(connectionString);
        AuditAnchor? anchor;
        try
        {
            anchor = await new AuditLog(connectionString).AnchorAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            throw AuditRows.Unreadable(database, ex);
        }

        if (anchor is null)
            throw new CommandException($"the audit log in {database.Shown} is empty: nothing to anchor yet");
        var kept = await store.WriteAsync(target, anchor, retainDays, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"anchored row {anchor.Sequence} {anchor.Hash} at {anchor.At:u} in {target} ({kept})");
        return BusCommandLine.Done;
    }
}
