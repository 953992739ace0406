using Bus.Testing;
using Bus.Tooling;
using Npgsql;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// The pipeline's PostgreSQL goes away while a version is on its way (a restart, a failover): what the hosts were
/// handling is held and retried, not sent to the error queues, and the version still ends where it should.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_the_pipeline_database_restarts_mid_pipeline(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_carry_the_version_to_deployed_once_the_database_is_back()
    {
        await using var postgres = await PostgresCluster.StartAsync();
        var connectionString = await HostedPipeline.CreateDatabase(postgres, "restart");
        using var pipeline = new HostedPipeline(emulator, "dbr", output);
        var trained = await pipeline.TrainAsync("trained");
        await using var host = await HostProcess.StartAsync("restarting", ["lifecycle", "evaluation", "deployment"],
            pipeline.Settings(Path.Combine(pipeline.Data, "host"), connectionString), default);

        await pipeline.AnnounceAsync("digits", "1", trained);
        await pipeline.WaitFor(async () => await StateAsync(connectionString) is not null, "digits 1 known to the saga", TimeSpan.FromMinutes(1), () =>
            host.Log);
        output.WriteLine($"stopping PostgreSQL with digits 1 {await StateAsync(connectionString)}");
        await postgres.StopAsync();
        // Long enough for every consumer's first retries, the evaluation and the deployment request to meet the outage.
        await Task.Delay(TimeSpan.FromSeconds(20));
        await postgres.StartAgainAsync();

        // What it may take by design: a claim the outage kept from being released lapses after its lease (60 s), and each of
        // the four hops after it (evaluation, saga, deployment, saga) may be waiting out a retry of up to 30 s when the
        // database is back; a busy CI machine adds to that. The point is where the version ends, not how fast.
        await pipeline.WaitFor(async () => await StateAsync(connectionString) == "Deployed", "digits 1 deployed after the restart", TimeSpan.FromMinutes(5),
            () => host.Log);
        var backlog = await pipeline.QueueBacklogAsync();
        backlog.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal)).Sum(q => q.Value).Should().Be(0, "nothing was given up on during the outage");
    }

    static async Task<string?> StateAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT data::json->>'currentState' FROM model_lifecycle", connection);
            return await command.ExecuteScalarAsync() as string;
        }
        catch (PostgresException ex) when (ex.SqlState == "42P01")
        {
            return null;
        }
        catch (NpgsqlException)
        {
            // A pooled connection the restart cut: the next look takes a fresh one.
            return null;
        }
    }
}
