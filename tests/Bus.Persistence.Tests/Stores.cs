using Bus.Pipeline;
using Bus.Testing;
using Bus.Tooling;

namespace Bus.Persistence.Tests;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

/// <summary>A fresh database per test: a new SQLite file, or a new PostgreSQL database in the shared cluster.</summary>
public static class Stores
{
    public static async Task<string> Fresh(string kind, PostgresFixture postgres)
    {
        if (kind == "sqlite")
            return $"Data Source={Path.Combine(Path.GetTempPath(), "bus-saga-" + Guid.NewGuid().ToString("N"), "bus.db")}";
        return await Fresh(postgres.Cluster);
    }

    /// <summary>A new, empty PostgreSQL database in <paramref name="cluster"/>.</summary>
    public static async Task<string> Fresh(PostgresCluster cluster)
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE {name}";
        await command.ExecuteNonQueryAsync();
        return cluster.ConnectionString.Replace("Database=postgres", $"Database={name}", StringComparison.Ordinal);
    }

    public static SagaStore<ModelLifecycleState> Lifecycle(string connectionString) =>
        new(new SagaStoreOptions<ModelLifecycleState>(connectionString, "model_lifecycle", [new IndexedColumn<ModelLifecycleState>("model_name", s =>
            s.ModelName)])
        {
            State = s => s.CurrentState,
            StateMember = nameof(ModelLifecycleState.CurrentState),
        });
}
