using Bus.Contracts;
using Bus.Pipeline;
using Bus.Testing;

namespace Bus.Persistence.Tests;

/// <summary>Instances stored by a build whose history used the state machine's event names get the message names, once.</summary>
[Collection(PostgresCollection.Name)]
public class When_stored_history_uses_the_old_event_names(PostgresFixture postgres)
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_rename_them_after_their_messages_once_and_keep_everything_else(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        var old = Stores.Lifecycle(connectionString);
        await old.EnsureSchemaAsync();
        var id = ModelVersionKey.For("digits", "4");
        var untouched = ModelVersionKey.For("digits", "5");
        await using (var connection = await old.Options.Dialect.OpenAsync(default))
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await old.InsertAsync(connection, transaction, Saga(id, "4", "TrainingCompleted", "Evaluated", "DeploymentConfirmed", "Replaced",
                "RollbackRefused"), default);
            await old.InsertAsync(connection, transaction, Saga(untouched, "5", "TrainingCompleted", "ModelEvaluated"), default);
            await transaction.CommitAsync();
        }

        var migration = new SagaDataMigration(AuditEventNames.MigrationVersion, "renamed", AuditEventNames.Rename);
        var current = new SagaStore<ModelLifecycleState>(new SagaStoreOptions<ModelLifecycleState>(connectionString, "model_lifecycle",
            old.Options.Columns)
        {
            State = s => s.CurrentState,
            StateMember = nameof(ModelLifecycleState.CurrentState),
            DataMigrations = [migration],
        });
        await current.EnsureSchemaAsync();
        await new SagaStore<ModelLifecycleState>(current.Options).EnsureSchemaAsync();

        (await SchemaMigrator.VersionAsync(current.Options.Dialect, current.DataComponent)).Should().Be(1);
        await using var c = await current.Options.Dialect.OpenAsync(default);
        await using var t = await c.BeginTransactionAsync();
        var renamed = (await current.LoadAsync(c, t, id, default))!;
        renamed.History.Select(h => h.Event).Should().Equal("TrainingCompleted", "ModelEvaluated", "ModelDeployed", "ModelSuperseded", "RollbackRejected");
        renamed.History.Select(h => h.Detail).Should().Equal(["0", "1", "2", "3", "4"], "the rest of each entry is kept");
        renamed.Version.Should().Be(1, "a rename is not a transition: the optimistic-concurrency version is kept");
        renamed.Metrics.Should().ContainKey("accuracy");
        (await current.LoadAsync(c, t, untouched, default))!.History.Select(h => h.Event).Should().Equal("TrainingCompleted", "ModelEvaluated");
    }

    static ModelLifecycleState Saga(Guid id, string version, params string[] events) => new()
    {
        CorrelationId = id,
        CurrentState = "Superseded",
        ModelName = "digits",
        ModelVersion = version,
        Metrics = new Dictionary<string, double> { ["accuracy"] = 0.9 },
        History = [.. events.Select((e, i) => new TransitionRecord
        {
            At = DateTimeOffset.UnixEpoch.AddMinutes(i), State = "S" + i, Event = e, Detail = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })],
    };
}
