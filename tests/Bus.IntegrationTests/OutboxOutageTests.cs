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

/// <summary>Its own emulator: this test stops it.</summary>
public class When_SNS_is_down_while_the_API_publishes
{
    [Fact]
    public async Task Should_accept_the_write_and_deliver_it_once_SNS_is_back()
    {
        await using var emulator = await EmulatorProcess.StartAsync(persistent: true);
        var connectionString = Emulated.SqliteFile("outage");
        var services = new ServiceCollection();
        services.AddTestDefaults(inactivity: TimeSpan.FromSeconds(5));
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            x.AddBusOutbox(connectionString, o =>
            {
                o.PollInterval = TimeSpan.FromMilliseconds(200);
                o.MaxRetryDelay = TimeSpan.FromSeconds(2);
                o.SendTimeout = TimeSpan.FromSeconds(3);
            });
            x.AddConsumer<OperatorNoteConsumer>().Endpoint(e => e.Name = "operator-notes");
            x.UsingAmazonSqs((context, cfg) =>
            {
                cfg.EmulatorHost(emulator.ServiceUrl, Emulated.Scope("outage"));
                cfg.ConfigureEndpoints(context);
            });
        });
        await using var provider = services.BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(60);
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
            await Until(async () => await Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE attempts >= 1 AND last_error IS NOT NULL") == 1, "a failed attempt recorded");
            (await Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NULL")).Should().Be(1);
            var backlog = await new BusDatabase(connectionString).BacklogAsync();
            backlog.Pending.Should().Be(1, "what the hosts' readiness check reports");
            backlog.MostAttempts.Should().BeGreaterThanOrEqualTo(1);
            backlog.LastError.Should().NotBeNullOrEmpty();
            backlog.Oldest.Should().BeBefore(DateTimeOffset.UtcNow);

            await emulator.StartAgainAsync();
            await Until(async () => await Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NOT NULL") == 1, "delivered after the outage", 90);
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
