using System.Data.Common;
using MassTransit;

namespace Bus.Persistence;

/// <summary>
/// One unit of work: a connection and its write transaction. Owned (committed once the saga has run) when the saga
/// works alone; borrowed from the consume scope's <see cref="BusUnitOfWork"/> when the inbox/outbox is on, so the
/// saga's state, the inbox row and the outbox messages commit together.
/// </summary>
public sealed class SagaDatabaseContext<TSaga>(SagaStore<TSaga> store, DbConnection connection, DbTransaction transaction, bool owned = true) : IAsyncDisposable
    where TSaga : class, ISagaVersion
{
    public SagaStore<TSaga> Store { get; } = store;
    public DbConnection Connection { get; } = connection;
    public DbTransaction Transaction { get; } = transaction;
    public bool Owned { get; } = owned;

    public Task CommitAsync(CancellationToken cancellationToken = default) => Owned ? Transaction.CommitAsync(cancellationToken) : Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (!Owned)
            return;
        await Transaction.DisposeAsync().ConfigureAwait(false);
        await Connection.DisposeAsync().ConfigureAwait(false);
    }
}
