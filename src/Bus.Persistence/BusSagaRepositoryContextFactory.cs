using MassTransit;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Persistence;

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
