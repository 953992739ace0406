using System.Data.Common;
using Bus.Shared;
using Microsoft.Extensions.Logging;

namespace Bus.Persistence.Outbox;

/// <summary>
/// The database one pipeline shares: SQLite (a file, one host) or PostgreSQL (several hosts), chosen by the
/// connection string. Holds the inbox and outbox tables; saga stores on the same connection string join its
/// transactions.
/// </summary>
public sealed class BusDatabase(string connectionString)
{
    public const string Component = "outbox";
    public const int SchemaVersion = 2;
    readonly SchemaGate _schema = new();

    public SqlDialect Dialect { get; } = SqlDialect.For(connectionString);

    public static IReadOnlyList<SchemaStep> Steps { get; } =
    [
        new(1, _ =>
        [
            // One row per (consumer, message id): the inbox. A delivery claims the row (claim_token, renewed locked_until)
            // before running the consumer; consumed_at is set in the transaction that commits the consumer's work.
            "CREATE TABLE IF NOT EXISTS bus_inbox (consumer_id TEXT NOT NULL, message_id TEXT NOT NULL, consumer_type TEXT, received_at BIGINT NOT NULL, " +
                "consumed_at BIGINT, receive_count INTEGER NOT NULL, outbox_id TEXT, claim_token TEXT, locked_until BIGINT, PRIMARY KEY (consumer_id, " +
                    "message_id))",
            "CREATE INDEX IF NOT EXISTS ix_bus_inbox_consumed ON bus_inbox (consumed_at)",
            // One row per transaction that sent anything: the unit of ordered delivery, claimed with a lease.
            "CREATE TABLE IF NOT EXISTS bus_outbox (outbox_id TEXT PRIMARY KEY, inbox_message_id TEXT, consumer_id TEXT, created_at BIGINT NOT NULL, " +
                "delivered_at BIGINT, last_sequence BIGINT NOT NULL DEFAULT 0, locked_by TEXT, locked_until BIGINT, attempts INTEGER NOT NULL DEFAULT 0, " +
                    "next_attempt_at BIGINT NOT NULL DEFAULT 0, last_error TEXT)",
            "CREATE INDEX IF NOT EXISTS ix_bus_outbox_pending ON bus_outbox (delivered_at, next_attempt_at, created_at)",
            "CREATE TABLE IF NOT EXISTS bus_outbox_message (outbox_id TEXT NOT NULL, sequence_number BIGINT NOT NULL, message_id TEXT NOT NULL, destination " +
                "TEXT NOT NULL, content_type TEXT, message_type TEXT, body TEXT NOT NULL, headers TEXT, properties TEXT, conversation_id TEXT, " +
                    "correlation_id TEXT, initiator_id TEXT, request_id TEXT, source_address TEXT, response_address TEXT, fault_address TEXT, sent_time " +
                        "BIGINT NOT NULL, enqueue_time BIGINT, expiration_time BIGINT, PRIMARY KEY (outbox_id, sequence_number))",
        ]),
        // An outbox whose message the broker refuses for good is set aside (dead_at) instead of retried forever.
        new(2, _ =>
        [
            "ALTER TABLE bus_outbox ADD COLUMN dead_at BIGINT",
            "ALTER TABLE bus_outbox ADD COLUMN permanent_failures INTEGER NOT NULL DEFAULT 0",
        ]),
    ];

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) =>
        _schema.EnsureAsync(ct => SchemaMigrator.MigrateAsync(Dialect, Component, Steps, ct), cancellationToken);

    /// <summary>
    /// Prepares the schema, waiting for a database that is not up yet (started beside the hosts, failing over) with
    /// growing pauses up to <paramref name="maxPause"/>: the host stays up and says so on /health/ready, and consumers
    /// retry until it answers.
    /// </summary>
    public async Task WaitUntilReachableAsync(ILogger logger, TimeSpan maxPause, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is DbException or TimeoutException or System.Net.Sockets.SocketException
                && !cancellationToken.IsCancellationRequested)
            {
                var delay = Backoff.Exponential(attempt, TimeSpan.FromSeconds(1), maxPause);
                logger.LogWarning("The pipeline database cannot be reached to prepare the outbox (attempt {Attempt}); retrying in {Delay}: {Reason}",
                    attempt, delay, ex.GetBaseException().Message);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What waits in the outbox: undelivered outboxes, the oldest one's age, and the last delivery error (a health signal).</summary>
    public async Task<OutboxBacklog> BacklogAsync(CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Sql.Command(connection, null,
            "SELECT COUNT(*), MIN(created_at), MAX(attempts) FROM bus_outbox WHERE delivered_at IS NULL AND dead_at IS NULL");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var pending = reader.GetInt64(0);
        DateTimeOffset? oldest = reader.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1));
        var attempts = reader.IsDBNull(2) ? 0 : reader.GetInt32(2);
        await reader.DisposeAsync().ConfigureAwait(false);
        var error = pending == 0
            ? null
            : await Sql.ScalarAsync(connection, null,
                "SELECT last_error FROM bus_outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND last_error IS NOT NULL ORDER BY created_at LIMIT 1",
                cancellationToken).ConfigureAwait(false) as string;
        var dead = Convert.ToInt64(await Sql.ScalarAsync(connection, null, "SELECT COUNT(*) FROM bus_outbox WHERE dead_at IS NOT NULL", cancellationToken)
            .ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture);
        return new OutboxBacklog(pending, oldest, attempts, error, dead);
    }

    /// <summary>Outboxes set aside because the broker refused a message for good: what, where to, and why.</summary>
    public async Task<IReadOnlyList<DeadOutbox>> DeadAsync(int max, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Sql.Command(connection, null,
            "SELECT o.outbox_id, o.created_at, o.dead_at, o.attempts, o.last_error, m.message_id, m.message_type, m.destination FROM bus_outbox o " +
            "JOIN bus_outbox_message m ON m.outbox_id = o.outbox_id AND m.sequence_number = o.last_sequence + 1 WHERE o.dead_at IS NOT NULL ORDER BY " +
                "o.dead_at LIMIT @n",
            ("n", max));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<DeadOutbox>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(new DeadOutbox(reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.GetString(7)));
        }

        return result;
    }

    /// <summary>Whether the outbox holding the message with this id has been delivered (false while pending, dead or unknown).</summary>
    public async Task<bool> IsDeliveredAsync(Guid messageId, CancellationToken cancellationToken = default)
    {
        await using var connection = await Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await Sql.ScalarAsync(connection, null,
            "SELECT o.delivered_at FROM bus_outbox o JOIN bus_outbox_message m ON m.outbox_id = o.outbox_id WHERE m.message_id = @m", cancellationToken,
            ("m", messageId.ToString())).ConfigureAwait(false) is not null;
    }

    public bool IsSameDatabase(SqlDialect other) => other.Name == Dialect.Name && other.ConnectionString == Dialect.ConnectionString;
}
