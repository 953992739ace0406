using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;

namespace Bus.Persistence;

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
