using Bus.Contracts;
using Bus.Persistence.Outbox;
using Bus.Testing;

namespace Bus.Persistence.Tests;

[Collection(PostgresCollection.Name)]
public class When_the_schema_is_migrated(PostgresFixture postgres)
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_create_every_table_from_an_empty_database_once(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        var store = Stores.Lifecycle(connectionString);
        var database = new BusDatabase(connectionString);

        // Two hosts starting together: both migrate, neither fails, one schema results.
        await Task.WhenAll(store.EnsureSchemaAsync(), Stores.Lifecycle(connectionString).EnsureSchemaAsync(), database.EnsureSchemaAsync(),
            new BusDatabase(connectionString).EnsureSchemaAsync());

        (await store.SchemaVersionAsync()).Should().Be(SagaStore<Pipeline.ModelLifecycleState>.SchemaVersion);
        (await SchemaMigrator.VersionAsync(database.Dialect, BusDatabase.Component)).Should().Be(BusDatabase.SchemaVersion);
        await using var connection = await database.Dialect.OpenAsync(default);
        foreach (var table in new[] { "model_lifecycle", "bus_inbox", "bus_outbox", "bus_outbox_message" })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {table}";
            Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture).Should().Be(0,
                $"{table} exists and is empty");
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_upgrade_a_database_left_by_the_previous_version_and_keep_its_sagas(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        var previous = Stores.Lifecycle(connectionString);
        (await previous.MigrateToAsync(1)).Should().Be(1);
        var id = ModelVersionKey.For("digits", "old");
        await using (var connection = await previous.Options.Dialect.OpenAsync(default))
        await using (var command = connection.CreateCommand())
        {
            // A row exactly as version 1 wrote it: no created_at column yet.
            command.CommandText = kind == "sqlite"
                ? "INSERT INTO model_lifecycle (correlation_id, current_state, version, data, updated_at, model_name) VALUES (@id, 'Deployed', 3, @data, " +
                    "'2026-01-02T03:04:05.0000000+00:00', 'digits')"
                : "INSERT INTO model_lifecycle (correlation_id, current_state, version, data, updated_at, model_name) VALUES (@id, 'Deployed', 3, CAST(@data " +
                    "AS jsonb), '2026-01-02T03:04:05.0000000+00:00', 'digits')";
            var p = command.CreateParameter();
            p.ParameterName = "@id";
            p.Value = previous.Options.Dialect.Id(id);
            command.Parameters.Add(p);
            var d = command.CreateParameter();
            d.ParameterName = "@data";
            d.Value = $$"""{"correlationId":"{{id}}","currentState":"Deployed","modelName":"digits","modelVersion":"old"}""";
            command.Parameters.Add(d);
            await command.ExecuteNonQueryAsync();
        }

        var current = Stores.Lifecycle(connectionString);
        await current.EnsureSchemaAsync();

        (await current.SchemaVersionAsync()).Should().Be(2);
        await using var c = await current.Options.Dialect.OpenAsync(default);
        await using var t = await c.BeginTransactionAsync();
        var found = await current.FindAsync(c, t, "model_name", "digits", default);
        found.Should().ContainSingle().Which.ModelVersion.Should().Be("old");
        found[0].Version.Should().Be(3);
        await using var created = c.CreateCommand();
        created.Transaction = t;
        created.CommandText = "SELECT created_at FROM model_lifecycle";
        (await created.ExecuteScalarAsync())!.ToString().Should().StartWith("2026-01-02", "created_at is backfilled from updated_at");
    }

    [Fact]
    public async Task Should_refuse_a_database_from_a_newer_build()
    {
        var connectionString = await Stores.Fresh("sqlite", postgres);
        var store = Stores.Lifecycle(connectionString);
        await store.EnsureSchemaAsync();
        await using (var connection = await store.Options.Dialect.OpenAsync(default))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE bus_schema SET version = 99 WHERE component = 'saga:model_lifecycle'";
            await command.ExecuteNonQueryAsync();
        }

        var act = () => Stores.Lifecycle(connectionString).EnsureSchemaAsync();
        (await act.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("newer than this build");
    }
}
