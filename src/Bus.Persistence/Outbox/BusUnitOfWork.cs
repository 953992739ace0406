using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace Bus.Persistence.Outbox;

/// <summary>
/// One database transaction per message consumed (or per API request), shared by everything in the scope: the
/// saga repository writes its state through it, sends and publishes are captured into its outbox, and the inbox
/// row is written in it. Nothing is sent until it commits; a rollback loses the captured messages with the state.
/// The transaction opens lazily, so a consumer doing minutes of model work holds no database lock meanwhile.
/// </summary>
public sealed class BusUnitOfWork(BusDatabase database, OutboxSignal signal, ILogger<BusUnitOfWork>? logger = null) : IAsyncDisposable
{
    readonly List<OutboxRecord> _pending = [];
    DbConnection? _connection;
    DbTransaction? _transaction;

    public BusDatabase Database => database;

    /// <summary>True while a consume or request scope owns this unit of work: the saga repository then joins it instead of committing on its own.</summary>
    public bool Enlisted { get; internal set; }

    public int PendingCount
    {
        get
        {
            lock (_pending)
                return _pending.Count;
        }
    }

    /// <summary>The shared connection and write transaction, begun on first use.</summary>
    public async Task<(DbConnection Connection, DbTransaction Transaction)> BeginAsync(CancellationToken cancellationToken)
    {
        if (_transaction is not null)
            return (_connection!, _transaction);
        await database.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        _connection = await database.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _transaction = await database.Dialect.BeginWriteAsync(_connection, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
            throw;
        }

        return (_connection, _transaction);
    }

    public void Capture(OutboxRecord record)
    {
        lock (_pending)
            _pending.Add(record);
    }

    /// <summary>Writes the captured messages as one outbox (delivered in this order) inside the transaction; returns its id, or null when nothing was
    /// captured.</summary>
    internal async Task<Guid?> WriteOutboxAsync(Guid? inboxMessageId, Guid? consumerId, CancellationToken cancellationToken)
    {
        OutboxRecord[] records;
        lock (_pending)
            records = [.. _pending];
        if (records.Length == 0)
            return null;
        var (connection, transaction) = await BeginAsync(cancellationToken).ConfigureAwait(false);
        var outboxId = MassTransit.NewId.NextGuid();
        await Sql.ExecuteAsync(connection, transaction,
            "INSERT INTO bus_outbox (outbox_id, inbox_message_id, consumer_id, created_at, last_sequence, attempts, next_attempt_at) VALUES (@o, @i, @c, " +
                "@now, 0, 0, 0)",
            cancellationToken, ("o", outboxId.ToString()), ("i", inboxMessageId?.ToString()), ("c", consumerId?.ToString()), ("now", Sql.Now()))
                .ConfigureAwait(false);
        for (var i = 0; i < records.Length; i++)
            await records[i].InsertAsync(connection, transaction, outboxId, i + 1, cancellationToken).ConfigureAwait(false);
        return outboxId;
    }

    /// <summary>
    /// Commits an API or CLI unit of work: the caller's own writes (through <see cref="BeginAsync"/>) and every
    /// message published or sent in this scope, together.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        var outbox = await WriteOutboxAsync(null, null, cancellationToken).ConfigureAwait(false);
        await CommitTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (outbox is not null)
            signal.Committed();
    }

    internal async Task CommitTransactionAsync(CancellationToken cancellationToken)
    {
        if (_transaction is not null)
            await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        await ResetAsync().ConfigureAwait(false);
    }

    internal void NotifyCommitted() => signal.Committed();

    /// <summary>Drops anything uncommitted: the transaction rolls back and captured messages are discarded.</summary>
    public async Task ResetAsync()
    {
        lock (_pending)
            _pending.Clear();
        if (_transaction is not null)
        {
            await _transaction.DisposeAsync().ConfigureAwait(false);
            _transaction = null;
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Outside a consumer nothing commits for the caller: a scope that published and never committed dropped
        // those messages, which is right after a failure and a bug otherwise; say so.
        if (!Enlisted && PendingCount > 0)
            logger?.LogWarning("{Count} message(s) published in a scope were discarded: the scope ended without BusUnitOfWork.CommitAsync()", PendingCount);
        await ResetAsync().ConfigureAwait(false);
    }
}
