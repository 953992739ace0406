using Bus.Contracts;
using Bus.Persistence.Outbox;
using Bus.Pipeline;
using Bus.Testing;
using Bus.Tooling;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Persistence.Tests;

public sealed record Ping
{
    public Guid Id { get; init; }
    public bool FailFirstAttempt { get; init; }
}

public sealed record Pong
{
    public Guid Id { get; init; }
}

/// <summary>Publishes a Pong per Ping; on request the first attempt publishes and then fails, as a crash mid-consumer would.</summary>
public sealed class PingConsumer(PingLedger ledger) : IConsumer<Ping>
{
    public async Task Consume(ConsumeContext<Ping> context)
    {
        var attempt = ledger.Attempt(context.Message.Id);
        await context.Publish(new Pong { Id = context.Message.Id });
        if (context.Message.FailFirstAttempt && attempt == 1)
            throw new InvalidOperationException("failed after publishing");
    }
}

/// <summary>Stands in for the stages: consumes what the outbox delivers, so the harness can count deliveries.</summary>
public sealed class PongConsumer : IConsumer<Pong>
{
    public Task Consume(ConsumeContext<Pong> context) => Task.CompletedTask;
}

public sealed class EvaluationStandIn : IConsumer<EvaluateModel>
{
    public Task Consume(ConsumeContext<EvaluateModel> context) => Task.CompletedTask;
}

public sealed class PingLedger
{
    readonly Dictionary<Guid, int> _attempts = [];

    public int Attempt(Guid id)
    {
        lock (_attempts)
            return _attempts[id] = _attempts.GetValueOrDefault(id) + 1;
    }

    public int Attempts(Guid id)
    {
        lock (_attempts)
            return _attempts.GetValueOrDefault(id);
    }
}

[Collection(PostgresCollection.Name)]
public class When_consumers_use_the_transactional_outbox(PostgresFixture postgres)
{
    internal static ServiceProvider Build(string connectionString, PingLedger ledger, bool delivery = true, Guid[]? deliverOnly = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(ledger);
        services.AddTestDefaults(inactivity: TimeSpan.FromSeconds(5));
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            x.AddDelayedMessageScheduler();
            x.AddBusOutbox(connectionString, o =>
            {
                o.DeliveryEnabled = delivery;
                o.PollInterval = TimeSpan.FromMilliseconds(200);
                o.DeliverOnlyMessages = deliverOnly;
            });
            x.AddConsumer<PingConsumer>().Endpoint(e => e.Name = "ping");
            x.AddConsumer<PongConsumer>().Endpoint(e => e.Name = "pong");
            x.AddConsumer<EvaluationStandIn>().Endpoint(e => e.Name = "evaluate-model");
            x.AddModelLifecycleSaga().BusRepository(connectionString, "model_lifecycle", s => s.CurrentState,
                new IndexedColumn<ModelLifecycleState>("model_name", s => s.ModelName));
            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseDelayedMessageScheduler();
                cfg.UseMessageRetry(r => r.Immediate(3));
                cfg.ConfigureEndpoints(context);
            });
        });
        services.Configure<ModelLifecycleOptions>(o => o.EvaluationTimeout = TimeSpan.FromMinutes(5));
        return services.BuildServiceProvider(true);
    }

    internal static async Task<ITestHarness> Start(ServiceProvider provider)
    {
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(30);
        await harness.Start();
        return harness;
    }

    static TrainingCompleted Announcement(string version) => new()
    {
        ModelName = "digits",
        ModelVersion = version,
        ArtifactUri = "s3://m/digits/model.json",
        ArtifactFormat = "tfjs-layers",
        ArtifactSha256 = new string('c', 64),
        ValidationSetUri = "s3://d/validation.json",
        Producer = "trainer",
    };

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_commit_the_saga_state_and_its_messages_together_and_deliver_after_a_crash(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        var id = ModelVersionKey.For("digits", "crash");

        // The host commits the transition and "dies" before delivering: delivery is off in this process.
        await using (var crashed = Build(connectionString, new PingLedger(), delivery: false))
        {
            var harness = await Start(crashed);
            await harness.Bus.Publish(Announcement("crash"));
            (await Poll.Until(() => harness.GetSagaStateMachineHarness<ModelLifecycleStateMachine, ModelLifecycleState>().Consumed.Snapshot<TrainingCompleted>()
                .Any())).Should().BeTrue();
            await Eventually.Holds(async () => await Count(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NULL") == 1);
            (await State(connectionString, id)).Should().Be("Evaluating");
            await Task.Delay(500);
            harness.Consumed.Snapshot<EvaluateModel>().Should().BeEmpty("nothing is sent before the delivery service runs");
            await harness.Stop();
        }

        // A restarted host delivers what was committed: once.
        await using var restarted = Build(connectionString, new PingLedger());
        var again = await Start(restarted);
        await Eventually.Holds(() => Task.FromResult(again.Consumed.Snapshot<EvaluateModel>().Any()));
        await Eventually.Holds(async () => await Count(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NULL") == 0);
        await Task.Delay(1000);
        again.Consumed.Snapshot<EvaluateModel>().Count(m => m.Context.Message.ModelVersionId == id).Should().Be(1);
        (await Count(connectionString, "SELECT COUNT(*) FROM bus_inbox WHERE consumer_type = 'Bus.Pipeline.ModelLifecycleState' AND consumed_at IS NOT NULL"))
            .Should().Be(1, "the announcement was consumed once");
        await again.Stop();
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_let_one_of_racing_announcements_create_the_version_and_send_one_evaluation(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        await using var provider = Build(connectionString, new PingLedger());
        var harness = await Start(provider);
        var id = ModelVersionKey.For("digits", "race");

        // Ten announcements of one version at once (ten message ids): the saga inserts race inside the outbox's
        // transactions; the losers roll back (their EvaluateModel with them), retry and find the instance.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => harness.Bus.Publish(Announcement("race"))));
        await Eventually.Holds(async () => await Count(connectionString,
            "SELECT COUNT(*) FROM bus_inbox WHERE consumer_type = 'Bus.Pipeline.ModelLifecycleState' AND consumed_at IS NOT NULL") == 10);
        await Eventually.Holds(() => Task.FromResult(harness.Consumed.Snapshot<EvaluateModel>().Any()));
        await Task.Delay(1500);

        harness.Consumed.Snapshot<EvaluateModel>().Count(m => m.Context.Message.ModelVersionId == id).Should().Be(1);
        (await Count(connectionString, "SELECT COUNT(*) FROM model_lifecycle")).Should().Be(1);
        (await State(connectionString, id)).Should().Be("Evaluating");
        await harness.Stop();
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_discard_what_a_failed_attempt_published(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        var ledger = new PingLedger();
        await using var provider = Build(connectionString, ledger);
        var harness = await Start(provider);
        var ping = new Ping { Id = Guid.NewGuid(), FailFirstAttempt = true };

        await harness.Bus.Publish(ping);

        await Eventually.Holds(() => Task.FromResult(harness.Consumed.Snapshot<Pong>().Any(p => p.Context.Message.Id == ping.Id)));
        await Task.Delay(1000);
        ledger.Attempts(ping.Id).Should().Be(2, "the first attempt failed after publishing and was retried");
        harness.Consumed.Snapshot<Pong>().Count(p => p.Context.Message.Id == ping.Id).Should().Be(1, "the failed attempt's publish was rolled back with it");
        await harness.Stop();
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_run_a_consumer_once_for_a_message_delivered_twice(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        var ledger = new PingLedger();
        await using var provider = Build(connectionString, ledger);
        var harness = await Start(provider);
        var ping = new Ping { Id = Guid.NewGuid() };
        var messageId = NewId.NextGuid();

        await harness.Bus.Publish(ping, c => c.MessageId = messageId);
        await Eventually.Holds(() => Task.FromResult(harness.Consumed.Snapshot<Pong>().Any()));
        await harness.Bus.Publish(ping, c => c.MessageId = messageId);
        await Eventually.Holds(async () => await Count(connectionString,
            "SELECT receive_count FROM bus_inbox WHERE consumer_type = 'Bus.Persistence.Tests.PingConsumer'") == 2);

        ledger.Attempts(ping.Id).Should().Be(1);
        harness.Consumed.Snapshot<Pong>().Count().Should().Be(1);
        await harness.Stop();
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_deliver_only_its_own_messages_when_told_to(string kind)
    {
        // The operator CLI writes one message into a host's database: it must send that one, not the host's others.
        var connectionString = await Stores.Fresh(kind, postgres);
        var (mine, theirs) = (NewId.NextGuid(), NewId.NextGuid());
        await using var provider = Build(connectionString, new PingLedger(), deliverOnly: [mine]);
        var harness = await Start(provider);
        foreach (var id in new[] { theirs, mine })
        {
            await using var scope = provider.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new Ping { Id = id }, c => c.MessageId = id);
            await scope.ServiceProvider.GetRequiredService<BusUnitOfWork>().CommitAsync();
        }

        await Eventually.Holds(() => Task.FromResult(harness.Consumed.Snapshot<Ping>().Any(p => p.Context.Message.Id == mine)));
        await Task.Delay(1000);
        harness.Consumed.Snapshot<Ping>().Should().NotContain(p => p.Context.Message.Id == theirs, "another writer's message is left to its own host");
        var outbox = new BusDatabase(connectionString);
        (await outbox.IsDeliveredAsync(mine)).Should().BeTrue();
        (await outbox.IsDeliveredAsync(theirs)).Should().BeFalse();
        await harness.Stop();
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_publish_from_outside_a_consumer_only_when_the_unit_of_work_commits(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        await using var provider = Build(connectionString, new PingLedger());
        var harness = await Start(provider);
        var kept = new Ping { Id = Guid.NewGuid() };
        var dropped = new Ping { Id = Guid.NewGuid() };

        await using (var scope = provider.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(dropped);
            // disposed without CommitAsync: an API request that failed after publishing
        }

        await using (var scope = provider.CreateAsyncScope())
        {
            var unitOfWork = scope.ServiceProvider.GetRequiredService<BusUnitOfWork>();
            var (connection, transaction) = await unitOfWork.BeginAsync(default);
            await using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = "CREATE TABLE api_write (id TEXT)";
                await command.ExecuteNonQueryAsync();
            }

            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(kept);
            harness.Consumed.Snapshot<Ping>().Should().BeEmpty("the publish waits for the commit");
            await unitOfWork.CommitAsync();
        }

        await Eventually.Holds(() => Task.FromResult(harness.Consumed.Snapshot<Ping>().Any(p => p.Context.Message.Id == kept.Id)));
        await Task.Delay(500);
        harness.Consumed.Snapshot<Ping>().Should().NotContain(p => p.Context.Message.Id == dropped.Id);
        (await Count(connectionString, "SELECT COUNT(*) FROM api_write")).Should().Be(0, "the table exists: the API's own write committed with the publish");
        await harness.Stop();
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_forget_delivered_outboxes_and_consumed_ids_after_the_retention_but_keep_undelivered_ones(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        await using (var crashed = Build(connectionString, new PingLedger(), delivery: false))
        {
            var stopped = await Start(crashed);
            await stopped.Bus.Publish(new Ping { Id = Guid.NewGuid() });
            await Eventually.Holds(async () => await Count(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NULL") == 1);
            await stopped.Stop();
        }

        await using var provider = Build(connectionString, new PingLedger());
        var harness = await Start(provider);
        await harness.Bus.Publish(new Ping { Id = Guid.NewGuid() });
        await Eventually.Holds(async () => await Count(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NOT NULL") == 2);
        await harness.Stop();
        await using (var scope = provider.CreateAsyncScope())
        {
            // One undelivered outbox that must survive any cleanup: an API publish committed while nothing delivers.
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new Ping { Id = Guid.NewGuid() });
            await scope.ServiceProvider.GetRequiredService<BusUnitOfWork>().CommitAsync();
        }

        // Two claims that were never consumed: one abandoned an hour ago (its host was killed), one held right now.
        var now = DateTimeOffset.UtcNow;
        await Count(connectionString,
            "INSERT INTO bus_inbox (consumer_id, message_id, consumer_type, received_at, receive_count, claim_token, locked_until) VALUES " +
            $"('c', 'abandoned', 't', {now.AddHours(-1).ToUnixTimeMilliseconds()}, 1, 'x', {now.AddMinutes(-55).ToUnixTimeMilliseconds()}), " +
            $"('c', 'held', 't', {now.ToUnixTimeMilliseconds()}, 1, 'y', {now.AddMinutes(10).ToUnixTimeMilliseconds()})");
        var consumed = await Count(connectionString, "SELECT COUNT(*) FROM bus_inbox WHERE consumed_at IS NOT NULL");
        consumed.Should().BeGreaterThan(0);

        var service = provider.GetRequiredService<OutboxCleanup>();
        await service.CleanupAsync(DateTimeOffset.UtcNow.AddDays(-1), default);
        (await Count(connectionString, "SELECT COUNT(*) FROM bus_outbox")).Should().Be(3, "nothing is older than the retention yet");
        (await Count(connectionString, "SELECT COUNT(*) FROM bus_inbox")).Should().Be(consumed + 2);

        await service.CleanupAsync(DateTimeOffset.UtcNow.AddMinutes(1), default);
        (await Count(connectionString, "SELECT COUNT(*) FROM bus_outbox")).Should().Be(1, "only the undelivered outbox is kept");
        (await Count(connectionString, "SELECT COUNT(*) FROM bus_outbox_message")).Should().Be(1);
        (await Count(connectionString, "SELECT COUNT(*) FROM bus_inbox")).Should().Be(1, "consumed ids and the abandoned claim are forgotten");
        (await Count(connectionString, "SELECT COUNT(*) FROM bus_inbox WHERE message_id = 'held'")).Should().Be(1, "a claim held now is kept");
    }

    static async Task<long> Count(string connectionString, string sql)
    {
        var database = new BusDatabase(connectionString);
        await database.EnsureSchemaAsync();
        var dialect = database.Dialect;
        await using var connection = await dialect.OpenAsync(default);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    static async Task<string?> State(string connectionString, Guid id)
    {
        var store = Stores.Lifecycle(connectionString);
        await using var c = await store.Options.Dialect.OpenAsync(default);
        await using var t = await c.BeginTransactionAsync();
        return (await store.LoadAsync(c, t, id, default))?.CurrentState;
    }
}

static class Eventually
{
    public static async Task Holds(Func<Task<bool>> condition, int seconds = 30)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (await condition())
                return;
            await Task.Delay(100);
        }

        (await condition()).Should().BeTrue($"the condition should hold within {seconds} s");
    }
}

/// <summary>Its own PostgreSQL cluster: this test stops it.</summary>
public class When_the_database_is_down_as_a_host_starts
{
    [Fact]
    public async Task Should_wait_for_it_and_deliver_once_it_is_back()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var connectionString = await Stores.Fresh(cluster);
        await cluster.StopAsync();

        await using var provider = When_consumers_use_the_transactional_outbox.Build(connectionString, new PingLedger());
        var harness = await When_consumers_use_the_transactional_outbox.Start(provider);
        var delivery = provider.GetRequiredService<OutboxDeliveryService>();
        await Task.Delay(TimeSpan.FromSeconds(3));
        delivery.ExecuteTask.Should().NotBeNull();
        delivery.ExecuteTask!.IsCompleted.Should()
            .BeFalse("a database that is down at start is waited for; in a host a stopped background service stops the host");

        await cluster.StartAgainAsync();
        var id = Guid.NewGuid();
        await using (var scope = provider.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new Ping { Id = id });
            await scope.ServiceProvider.GetRequiredService<BusUnitOfWork>().CommitAsync();
        }

        (await Poll.Until(() => harness.Consumed.Snapshot<Pong>().Any(m => m.Context.Message.Id == id), TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the outbox prepares its schema once the database answers, then delivers the ping, whose pong comes through the outbox too");
        await harness.Stop();
    }
}
