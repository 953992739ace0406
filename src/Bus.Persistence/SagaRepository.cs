using System.Data.Common;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection;

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

public sealed class BusSagaRepositoryContextFactory<TSaga>(SagaStore<TSaga> store, ISagaConsumeContextFactory<SagaDatabaseContext<TSaga>, TSaga> factory,
    IServiceProvider services)
    : ISagaRepositoryContextFactory<TSaga>, IQuerySagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISagaVersion
{
    async Task<SagaDatabaseContext<TSaga>> Open(CancellationToken cancellationToken)
    {
        await store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        if (services.GetService<Outbox.BusUnitOfWork>() is { Enlisted: true } unitOfWork)
        {
            if (!unitOfWork.Database.IsSameDatabase(store.Options.Dialect))
                throw new InvalidOperationException($"{typeof(TSaga).Name} is stored in another database than the outbox; give the saga repository and " +
                    "AddBusOutbox the same connection string so they commit together.");
            var (shared, sharedTransaction) = await unitOfWork.BeginAsync(cancellationToken).ConfigureAwait(false);
            return new SagaDatabaseContext<TSaga>(store, shared, sharedTransaction, owned: false);
        }

        var connection = await store.Options.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return new SagaDatabaseContext<TSaga>(store, connection, await store.Options.Dialect.BeginWriteAsync(connection, cancellationToken)
                .ConfigureAwait(false));
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        await using var database = await Open(context.CancellationToken).ConfigureAwait(false);
        await next.Send(new BusSagaRepositoryContext<TSaga, T>(database, context, factory)).ConfigureAwait(false);
        await database.CommitAsync(context.CancellationToken).ConfigureAwait(false);
    }

    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class
    {
        await using var database = await Open(context.CancellationToken).ConfigureAwait(false);
        var instances = await store.QueryAsync(database.Connection, database.Transaction, query.FilterExpression, context.CancellationToken)
            .ConfigureAwait(false);
        var repository = new BusSagaRepositoryContext<TSaga, T>(database, context, factory);
        await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repository, instances)).ConfigureAwait(false);
        await database.CommitAsync(context.CancellationToken).ConfigureAwait(false);
    }

    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        Run(asyncMethod, cancellationToken);

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        Run(asyncMethod, cancellationToken);

    async Task<T> Run<T>(Func<BusSagaRepositoryContext<TSaga>, Task<T>> method, CancellationToken cancellationToken)
    {
        await using var database = await Open(cancellationToken).ConfigureAwait(false);
        var result = await method(new BusSagaRepositoryContext<TSaga>(database, cancellationToken)).ConfigureAwait(false);
        await database.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    public void Probe(ProbeContext context) => context.Add("persistence", $"bus-{store.Options.Dialect.Name}");
}

public sealed class BusSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISagaVersion
    where TMessage : class
{
    readonly SagaDatabaseContext<TSaga> _database;
    readonly ConsumeContext<TMessage> _consumeContext;
    readonly ISagaConsumeContextFactory<SagaDatabaseContext<TSaga>, TSaga> _factory;

    public BusSagaRepositoryContext(SagaDatabaseContext<TSaga> database, ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<SagaDatabaseContext<TSaga>, TSaga> factory)
        : base(consumeContext, database)
    {
        _database = database;
        _consumeContext = consumeContext;
        _factory = factory;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> context, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_database, context, instance, mode);

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        _factory.CreateSagaConsumeContext(_database, _consumeContext, instance, SagaConsumeContextMode.Add);

    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        await _database.Store.InsertAsync(_database.Connection, _database.Transaction, instance, CancellationToken).ConfigureAwait(false);
        return await _factory.CreateSagaConsumeContext(_database, _consumeContext, instance, SagaConsumeContextMode.Insert).ConfigureAwait(false);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await _database.Store.LoadAsync(_database.Connection, _database.Transaction, correlationId, CancellationToken).ConfigureAwait(false);
        return instance is null ? null! : await _factory.CreateSagaConsumeContext(_database, _consumeContext, instance, SagaConsumeContextMode.Load)
            .ConfigureAwait(false);
    }

    public Task Save(SagaConsumeContext<TSaga> context) => _database.Store.InsertAsync(_database.Connection, _database.Transaction, context.Saga,
        CancellationToken);

    public Task Update(SagaConsumeContext<TSaga> context) => _database.Store.UpdateAsync(_database.Connection, _database.Transaction, context.Saga,
        CancellationToken);

    public Task Delete(SagaConsumeContext<TSaga> context) => _database.Store.DeleteAsync(_database.Connection, _database.Transaction, context.Saga,
        CancellationToken);

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context) => Task.CompletedTask;
}

public sealed class BusSagaRepositoryContext<TSaga>(SagaDatabaseContext<TSaga> database, CancellationToken cancellationToken)
    : BasePipeContext(cancellationToken), QuerySagaRepositoryContext<TSaga>, LoadSagaRepositoryContext<TSaga>
    where TSaga : class, ISagaVersion
{
    public Task<TSaga> Load(Guid correlationId) => database.Store.LoadAsync(database.Connection, database.Transaction, correlationId, CancellationToken)!;

    public async Task<SagaRepositoryQueryContext<TSaga>> Query(ISagaQuery<TSaga> query, CancellationToken cancellationToken = default)
    {
        var instances = await database.Store.QueryAsync(database.Connection, database.Transaction, query.FilterExpression, cancellationToken)
            .ConfigureAwait(false);
        return new LoadedSagaRepositoryQueryContext<TSaga>(this, instances);
    }
}

public static class BusSagaRepositoryRegistration
{
    /// <summary>
    /// Stores the saga in SQLite (<c>Data Source=path.db</c>) or PostgreSQL (<c>Host=...;Database=...</c>):
    /// <c>x.AddModelLifecycleSaga().BusRepository(connectionString, "model_lifecycle", s => s.CurrentState, new("model_name", s => s.ModelName))</c>.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> BusRepository<TSaga>(this ISagaRegistrationConfigurator<TSaga> configurator, string connectionString,
        string table,
        System.Linq.Expressions.Expression<Func<TSaga, string?>> currentState, params IndexedColumn<TSaga>[] columns)
        where TSaga : class, ISagaVersion =>
        configurator.BusRepository(connectionString, table, currentState, [], columns);

    /// <summary>As above, with the rewrites of stored instances that the saga's history needs (<see cref="SagaDataMigration"/>).</summary>
    public static ISagaRegistrationConfigurator<TSaga> BusRepository<TSaga>(this ISagaRegistrationConfigurator<TSaga> configurator, string connectionString,
        string table, System.Linq.Expressions.Expression<Func<TSaga, string?>> currentState, IReadOnlyList<SagaDataMigration> dataMigrations,
        params IndexedColumn<TSaga>[] columns)
        where TSaga : class, ISagaVersion =>
        configurator.Repository(r =>
        {
            r.AddSingleton(new SagaStore<TSaga>(new SagaStoreOptions<TSaga>(connectionString, table, columns)
            {
                State = currentState.Compile(),
                StateMember = (currentState.Body as System.Linq.Expressions.MemberExpression)?.Member.Name,
                DataMigrations = dataMigrations,
            }));
            r.RegisterSagaRepository<TSaga, SagaDatabaseContext<TSaga>, SagaConsumeContextFactory<SagaDatabaseContext<TSaga>, TSaga>,
                BusSagaRepositoryContextFactory<TSaga>>();
        });
}
