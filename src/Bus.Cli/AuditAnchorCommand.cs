using System.CommandLine;
using System.Data.Common;
using Bus.Persistence.Audit;

namespace Bus.Cli;

/// <summary>
/// `bus audit anchor --out FILE`: writes the chain's head (sequence, hash, time) to a file that the database's writers
/// cannot reach (copy it to write-once storage); `bus audit verify --anchor FILE` later proves the log still reaches it.
/// </summary>
static class AuditAnchorCommand
{
    public static Command Create()
    {
        var db = new DatabaseOption();
        var command = new Command("anchor", "writes the audit log's head (sequence, hash, time) to a new file, for `bus audit verify --anchor`") { db };
        var output = CliOptions.Required(command, "--out", "file", "where to write the anchor (a new file: anchors are never overwritten)",
            "the anchor must be kept apart from the database");
        command.SetAction((result, cancellationToken) => RunAsync(db.ConnectionString(result), result.GetValue(output)!, cancellationToken));
        return command;
    }

    static async Task<int> RunAsync(string connectionString, string path, CancellationToken cancellationToken)
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
        await AuditAnchorFile.WriteAsync(path, anchor, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"anchored row {anchor.Sequence} {anchor.Hash} at {anchor.At:u} in {path}");
        return BusCommandLine.Done;
    }
}
