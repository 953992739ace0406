using Bus.Contracts;
using Bus.Pipeline;
using Bus.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Persistence.Tests;

[Collection(PostgresCollection.Name)]
public class When_saga_state_is_stored(PostgresFixture postgres)
{
    static ModelLifecycleState Instance(string version) => new()
    {
        CorrelationId = ModelVersionKey.For("digits", version),
        CurrentState = "Evaluating",
        ModelName = "digits",
        ModelVersion = version,
        Artifact = new ModelArtifact { Uri = "s3://m/digits/model.json", Format = "tfjs-layers", Sha256 = new string('a', 64) },
        Metrics = new() { ["accuracy"] = 0.97 },
        History = [new TransitionRecord { State = "Evaluating", Event = "TrainingCompleted", At = DateTimeOffset.UtcNow, Actor = "trainer" }],
    };

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_round_trip_the_state_and_refuse_a_stale_update(string kind)
    {
        var store = Stores.Lifecycle(await Stores.Fresh(kind, postgres));
        await store.EnsureSchemaAsync();
        await store.EnsureSchemaAsync();
        var saga = Instance("1");

        await using (var c = await store.Options.Dialect.OpenAsync(default))
        await using (var t = await store.Options.Dialect.BeginWriteAsync(c, default))
        {
            await store.InsertAsync(c, t, saga, default);
            await t.CommitAsync();
        }

        ModelLifecycleState first, stale;
        await using (var c = await store.Options.Dialect.OpenAsync(default))
        await using (var t = await store.Options.Dialect.BeginWriteAsync(c, default))
        {
            first = (await store.LoadAsync(c, t, saga.CorrelationId, default))!;
            stale = (await store.LoadAsync(c, t, saga.CorrelationId, default))!;
            first.CurrentState = "Approved";
            await store.UpdateAsync(c, t, first, default);
            await t.CommitAsync();
        }

        first.Version.Should().Be(2);
        await using (var c = await store.Options.Dialect.OpenAsync(default))
        await using (var t = await store.Options.Dialect.BeginWriteAsync(c, default))
        {
            stale.CurrentState = "Rejected";
            var act = () => store.UpdateAsync(c, t, stale, default);
            await act.Should().ThrowAsync<ConcurrencyException>();
            var loaded = (await store.LoadAsync(c, t, saga.CorrelationId, default))!;
            loaded.CurrentState.Should().Be("Approved");
            loaded.Version.Should().Be(2);
            loaded.Artifact!.Sha256.Should().Be(new string('a', 64));
            loaded.History.Should().ContainSingle().Which.Actor.Should().Be("trainer");
            loaded.Metrics["accuracy"].Should().Be(0.97);
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_carry_the_lifecycle_saga_and_join_racing_duplicates_into_one_instance(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        var services = new ServiceCollection();
        services.AddTestDefaults(inactivity: TimeSpan.FromSeconds(5));
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            x.AddDelayedMessageScheduler();
            x.AddModelLifecycleSaga().BusRepository(connectionString, "model_lifecycle", s => s.CurrentState,
                new IndexedColumn<ModelLifecycleState>("model_name", s => s.ModelName));
            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseDelayedMessageScheduler();
                cfg.ConfigureEndpoints(context);
            });
        });
        services.Configure<ModelLifecycleOptions>(o => o.EvaluationTimeout = TimeSpan.FromMinutes(5));
        await using var provider = services.BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(30);
        await harness.Start();
        var announcement = new TrainingCompleted
        {
            ModelName = "digits",
            ModelVersion = "race",
            ArtifactUri = "s3://m/digits/model.json",
            ArtifactFormat = "tfjs-layers",
            ArtifactSha256 = new string('b', 64),
            ValidationSetUri = "s3://d/validation.json",
            Producer = "trainer",
        };

        // Ten copies at once: the inserts race, the losers hit ConcurrencyException, retry, find the instance and are ignored.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => harness.Bus.Publish(announcement)));
        var id = ModelVersionKey.For("digits", "race");
        var saga = harness.GetSagaStateMachineHarness<ModelLifecycleStateMachine, ModelLifecycleState>();
        (await Poll.Until(() => saga.Consumed.Snapshot<TrainingCompleted>().Any())).Should().BeTrue();
        await WaitUntil(() => harness.Consumed.Snapshot<TrainingCompleted>().Count() >= 10);

        await harness.Bus.Publish(new ModelEvaluated
        {
            ModelVersionId = id,
            ModelName = "digits",
            ModelVersion = "race",
            Metrics = new Dictionary<string,
            double>
            { ["accuracy"] = 0.3 }
        });
        var store = Stores.Lifecycle(connectionString);
        await WaitUntil(async () =>
        {
            await using var c = await store.Options.Dialect.OpenAsync(default);
            await using var t = await store.Options.Dialect.BeginWriteAsync(c, default);
            return (await store.LoadAsync(c, t, id, default))?.CurrentState == "Rejected";
        });
        harness.Sent.Snapshot<EvaluateModel>().Count(x => x.Context.Message.ModelVersionId == id).Should().Be(1,
            "ten racing announcements make one instance and one evaluation request");
        await harness.Stop();

        await using var c = await store.Options.Dialect.OpenAsync(default);
        await using var t = await store.Options.Dialect.BeginWriteAsync(c, default);
        var saved = (await store.LoadAsync(c, t, id, default))!;
        saved.CurrentState.Should().Be("Rejected");
        saved.History.Select(h => h.State).Should().Equal("Evaluating", "Rejected");
        var rejected = await store.QueryAsync(c, t, s => s.ModelName == "digits" && s.CurrentState == "Rejected", default);
        rejected.Should().ContainSingle();
    }

    static Task WaitUntil(Func<bool> condition) => WaitUntil(() => Task.FromResult(condition()));

    static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            if (await condition())
                return;
            await Task.Delay(100);
        }

        (await condition()).Should().BeTrue("the condition should hold within 30 s");
    }
}
