using Bus.Persistence.Audit;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Persistence;

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
        configurator.BusRepository(connectionString, table, currentState, dataMigrations, null, columns);

    /// <summary>
    /// As above, audited: <paramref name="takeAudit"/> hands over (and clears) the records an instance gathered, and they
    /// are appended to the pipeline database's audit log in the transaction that writes the instance.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> BusRepository<TSaga>(this ISagaRegistrationConfigurator<TSaga> configurator, string connectionString,
        string table, System.Linq.Expressions.Expression<Func<TSaga, string?>> currentState, IReadOnlyList<SagaDataMigration> dataMigrations,
        Func<TSaga, IReadOnlyList<AuditEntry>>? takeAudit, params IndexedColumn<TSaga>[] columns)
        where TSaga : class, ISagaVersion =>
        configurator.Repository(r =>
        {
            r.AddSingleton(new SagaStore<TSaga>(new SagaStoreOptions<TSaga>(connectionString, table, columns)
            {
                State = currentState.Compile(),
                StateMember = (currentState.Body as System.Linq.Expressions.MemberExpression)?.Member.Name,
                DataMigrations = dataMigrations,
                TakeAudit = takeAudit,
            }));
            r.RegisterSagaRepository<TSaga, SagaDatabaseContext<TSaga>, SagaConsumeContextFactory<SagaDatabaseContext<TSaga>, TSaga>,
                BusSagaRepositoryContextFactory<TSaga>>();
        });
}
