using Microsoft.Extensions.Logging;

namespace Bus.Persistence.Outbox;

/// <summary>What the inbox and outbox may forget: rows past the retention period.</summary>
public sealed class OutboxCleanup(BusDatabase database, ILogger<OutboxCleanup> logger)
{
    /// <summary>
    /// Forgets consumed message ids and delivered outboxes older than the retention period, and claims abandoned that
    /// long ago (a host killed while consuming from a queue nobody else reads, such as its own serving queue). An
    /// unconsumed claim records nothing done: should its message come back after all, it is claimed afresh.
    /// </summary>
    public async Task CleanupAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var cutoff = olderThan.ToUnixTimeMilliseconds();
        await using var connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await database.Dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        var messages = await Sql.ExecuteAsync(connection, transaction,
            "DELETE FROM bus_outbox_message WHERE outbox_id IN (SELECT outbox_id FROM bus_outbox WHERE delivered_at IS NOT NULL AND delivered_at < @cutoff)",
                cancellationToken,
            ("cutoff", cutoff)).ConfigureAwait(false);
        var outboxes = await Sql.ExecuteAsync(connection, transaction, "DELETE FROM bus_outbox WHERE delivered_at IS NOT NULL AND delivered_at < @cutoff",
            cancellationToken,
            ("cutoff", cutoff)).ConfigureAwait(false);
        var inbox = await Sql.ExecuteAsync(connection, transaction,
            "DELETE FROM bus_inbox WHERE (consumed_at IS NOT NULL AND consumed_at < @cutoff) OR (consumed_at IS NULL AND locked_until < @cutoff)",
                cancellationToken,
            ("cutoff", cutoff)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (messages + outboxes + inbox > 0)
            logger.LogInformation("Outbox cleanup removed {Outboxes} delivered outboxes ({Messages} messages) and {Inbox} inbox rows", outboxes, messages,
                inbox);
    }
}
