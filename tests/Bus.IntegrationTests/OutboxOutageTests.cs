using Bus.Persistence.Outbox;
using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.IntegrationTests;

public sealed record OperatorNote
{
    public required Guid Id { get; init; }
}

public sealed class OperatorNoteConsumer : IConsumer<OperatorNote>
{
    public Task Consume(ConsumeContext<OperatorNote> context) => Task.CompletedTask;
}

/// <summary>A bus on the emulator with the durable outbox on SQLite and the operator-notes consumer, as the outbox tests need it.</summary>
static class NoteBus
{
    public static ServiceProvider Build(Uri serviceUrl, string connectionString, string scope, Action<BusOutboxOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddTestDefaults(inactivity: TimeSpan.FromSeconds(5));
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            x.AddBusOutbox(connectionString, o =>
            {
                o.PollInterval = TimeSpan.FromMilliseconds(200);
                configure(o);
            });
            x.AddConsumer<OperatorNoteConsumer>().Endpoint(e => e.Name = "operator-notes");
            x.UsingAmazonSqs((context, cfg) =>
            {
                cfg.EmulatorHost(serviceUrl, Emulated.Scope(scope));
                cfg.ConfigureEndpoints(context);
            });
        });
        var provider = services.BuildServiceProvider(true);
        provider.GetRequiredService<ITestHarness>().TestTimeout = TimeSpan.FromSeconds(60);
        return provider;
    }
}

/// <summary>Its own emulator: this test stops it.</summary>
public class When_SNS_is_down_while_the_API_publishes
{
    [Fact]
    public async Task Should_accept_the_write_and_deliver_it_once_SNS_is_back()
    {
        await using var emulator = await EmulatorProcess.StartAsync(persistent: true);
        var connectionString = Emulated.SqliteFile("outage");
        await using var provider = NoteBus.Build(emulator.ServiceUrl, connectionString, "outage", o =>
        {
            o.MaxRetryDelay = TimeSpan.FromSeconds(2);
            o.SendTimeout = TimeSpan.FromSeconds(3);
        });
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        try
        {
            await emulator.StopAsync();
            var note = new OperatorNote { Id = Guid.NewGuid() };
            await using (var scope = provider.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(note);
                await scope.ServiceProvider.GetRequiredService<BusUnitOfWork>().CommitAsync();
            }

            // The request succeeded; delivery fails and is rescheduled, with the reason kept.
            await Until(async () => await Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE attempts >= 1 AND last_error IS NOT NULL") == 1,
                "a failed attempt recorded");
            (await Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NULL")).Should().Be(1);
            var backlog = await new BusDatabase(connectionString).BacklogAsync();
            backlog.Pending.Should().Be(1, "what the hosts' readiness check reports");
            backlog.MostAttempts.Should().BeGreaterThanOrEqualTo(1);
            backlog.LastError.Should().NotBeNullOrEmpty();
            backlog.Oldest.Should().BeBefore(DateTimeOffset.UtcNow);

            await emulator.StartAgainAsync();
            await Until(async () => await Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NOT NULL") == 1,
                "delivered after the outage", 90);
            await Until(() => Task.FromResult(harness.Consumed.Snapshot<OperatorNote>().Any(m => m.Context.Message.Id == note.Id)), "the note consumed");
            await Task.Delay(1000);
            harness.Consumed.Snapshot<OperatorNote>().Count().Should().Be(1);
            (await new BusDatabase(connectionString).BacklogAsync()).Should().Be(new OutboxBacklog(0, null, 0, null));
        }
        finally
        {
            await harness.Stop();
        }
    }

    static async Task<long> Scalar(string connectionString, string sql)
    {
        var database = new BusDatabase(connectionString);
        await database.EnsureSchemaAsync();
        await using var connection = await database.Dialect.OpenAsync(default);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    static async Task Until(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until && !await condition())
            await Task.Delay(200);
        (await condition()).Should().BeTrue($"{what} within {seconds} s");
    }
}

public sealed record BulkyNote
{
    public required Guid Id { get; init; }
    public required string Text { get; init; }
}

/// <summary>A message SNS can never take (over 256 KiB): its outbox is set aside as dead, and what follows still flows.</summary>
[Collection(EmulatorCollection.Name)]
public class When_the_broker_refuses_an_outbox_message_for_good(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_set_the_outbox_aside_as_dead_and_keep_delivering_the_rest()
    {
        var connectionString = Emulated.SqliteFile("dead-outbox");
        await using var provider = NoteBus.Build(emulator.ServiceUrl, connectionString, "dead", o =>
        {
            o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            o.IsPermanent = ex => ex is MessageTooLargeException;
        });
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        try
        {
            var database = new BusDatabase(connectionString);
            await using (var scope = provider.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(new BulkyNote
                {
                    Id = Guid.NewGuid(),
                    Text = new string('x',
                    300_000)
                });
                await scope.ServiceProvider.GetRequiredService<BusUnitOfWork>().CommitAsync();
            }

            var until = DateTime.UtcNow.AddSeconds(60);
            OutboxBacklog backlog;
            while ((backlog = await database.BacklogAsync()).Dead == 0 && DateTime.UtcNow < until)
                await Task.Delay(200);
            backlog.Dead.Should().Be(1, "three refusals for a reason that will not heal");
            backlog.Pending.Should().Be(0, "a dead outbox no longer counts as waiting");
            var dead = (await database.DeadAsync(10)).Should().ContainSingle().Subject;
            dead.Reason.Should().Contain("SNS accepts at most");
            dead.Destination.Should().Contain(nameof(BulkyNote));
            dead.Attempts.Should().Be(3);

            var note = new OperatorNote { Id = Guid.NewGuid() };
            await using (var scope = provider.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(note);
                await scope.ServiceProvider.GetRequiredService<BusUnitOfWork>().CommitAsync();
            }

            (await Poll.Until(() => harness.Consumed.Snapshot<OperatorNote>().Any(m => m.Context.Message.Id == note.Id))).Should()
                .BeTrue("the rest keeps flowing");
        }
        finally
        {
            await harness.Stop();
        }
    }
}
