using System.Data.Common;
using System.Runtime.CompilerServices;
using Bus.Persistence.Audit;

namespace Bus.Cli;

/// <summary>The audit log's rows for the CLI: a database without the log (or unreadable) is an error that names it, not a stack trace.</summary>
static class AuditRows
{
    public static async IAsyncEnumerable<AuditRow> ReadAsync(AuditLog log, LifecycleDatabase database, string? model, DateTimeOffset? since,
        DateTimeOffset? until, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var rows = log.ReadAsync(model, since, until, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await rows.MoveNextAsync().ConfigureAwait(false))
                    yield break;
            }
            catch (DbException ex)
            {
                throw Unreadable(database, ex);
            }

            yield return rows.Current;
        }
    }

    public static CommandException Unreadable(LifecycleDatabase database, DbException ex) =>
        new($"could not read the audit log ({AuditLog.Table}) in {database.Shown}: {ex.Message} (a host that runs the lifecycle stage creates it)");
}
