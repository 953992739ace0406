using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bus.Contracts;
using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Sns;
using Npgsql;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// Two Bus.Host processes (lifecycle, evaluation and deployment each) on one PostgreSQL database and one set of
/// queues: 200 model versions, real TF.js artifacts evaluated with ONNX Runtime, and one host killed with SIGKILL
/// midway.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_two_hosts_share_one_PostgreSQL(EmulatorFixture emulator, ITestOutputHelper output)
{
    const int Models = 4;
    const int VersionsPerModel = 50;
    static readonly string[] Final = ["Deployed", "Superseded", "Rejected", "Failed"];

    [Fact]
    public async Task Should_finish_every_version_once_when_one_host_is_killed_midway()
    {
        await using var postgres = await PostgresCluster.StartAsync();
        var connectionString = await CreateDatabase(postgres, "pipeline");
        var scope = Emulated.Scope("two");
        var data = Directory.CreateTempSubdirectory("bus-two-hosts-").FullName;
        var (dataA, dataB) = (Path.Combine(data, "a"), Path.Combine(data, "b"));
        var endpoint = emulator.ServiceUrl.ToString().TrimEnd('/');
        var good = Announcement(await NodeScript.RunAsync("train.mjs", "--endpoint", endpoint, "--scope", scope, "--model", "digits", "--version", "good", "--epochs", "3", "--quiet", "--no-announce"));
        var weak = Announcement(await NodeScript.RunAsync("train.mjs", "--endpoint", endpoint, "--scope", scope, "--model", "digits", "--version", "weak", "--weak", "--quiet", "--no-announce"));

        // Nothing shared but PostgreSQL and the queues: each host has its own data directory, as on two machines; the
        // saga state, inbox, outbox and the model registry (one production alias per model) are in the database.
        Dictionary<string, string> Settings(string dataDirectory) => new()
        {
            ["Bus:Aws:ServiceUrl"] = emulator.ServiceUrl.ToString(),
            ["Bus:Aws:Scope"] = scope,
            ["Bus:Host:DataDirectory"] = dataDirectory,
            ["Bus:Persistence:ConnectionString"] = connectionString,
            ["Bus:Lifecycle:EvaluationTimeout"] = "00:05:00",
        };
        string[] stages = ["lifecycle", "evaluation", "deployment"];
        var a = await HostProcess.StartAsync("host-a", stages, Settings(dataA), default);
        var b = await HostProcess.StartAsync("host-b", stages, Settings(dataB), default);
        try
        {
            using var sns = new SnsClient(AwsClients.Credentials, "us-east-1", emulator.ServiceUrl);
            var topic = await sns.CreateTopicAsync($"{scope}-training-complete");
            var expectedRejected = new HashSet<Guid>();
            var announcements = new List<Task>();
            for (var m = 0; m < Models; m++)
            {
                for (var v = 1; v <= VersionsPerModel; v++)
                {
                    var isWeak = v % 4 == 0;
                    var name = $"digits-{m}";
                    var version = v.ToString("000", System.Globalization.CultureInfo.InvariantCulture);
                    if (isWeak)
                        expectedRejected.Add(ModelVersionKey.For(name, version));
                    var source = isWeak ? weak : good;
                    announcements.Add(sns.PublishAsync(topic, JsonSerializer.Serialize(new
                    {
                        modelName = name,
                        modelVersion = version,
                        artifactUri = source["artifactUri"]!.ToString(),
                        artifactFormat = "tfjs-layers",
                        artifactSha256 = source["artifactSha256"]!.ToString(),
                        validationSetUri = source["validationSetUri"]!.ToString(),
                        producer = "load-test",
                    })));
                }
            }

            await Task.WhenAll(announcements);

            // Kill host A once a quarter of the versions are done: whatever it was consuming or delivering is
            // redelivered (SQS visibility), re-claimed (inbox lease) or resumed (outbox lease) by host B.
            await WaitFor(async () => await CountFinal(connectionString) >= Models * VersionsPerModel / 4, TimeSpan.FromMinutes(5), "a quarter of the versions final");
            a.Kill();
            var atKill = await CountFinal(connectionString);
            output.WriteLine($"killed host-a with {atKill} versions final");
            atKill.Should().BeLessThan(Models * VersionsPerModel, "host-a dies with work left for host-b");

            await WaitFor(async () => await CountFinal(connectionString) == Models * VersionsPerModel, TimeSpan.FromMinutes(8),
                "every version final", () => b.Log);
            await WaitFor(async () => await Pending(connectionString) == 0, TimeSpan.FromMinutes(2), "the outbox drained");
            await Task.Delay(3000);

            var sagas = await Sagas(connectionString);
            sagas.Should().HaveCount(Models * VersionsPerModel);
            foreach (var saga in sagas)
            {
                var states = saga.History.Select(h => h.State).ToList();
                states.Should().OnlyHaveUniqueItems($"{saga.ModelName} {saga.ModelVersion} passes each state once: {string.Join(" > ", states)}");
                states.Count(s => s == "Deployed").Should().BeLessThanOrEqualTo(1, "no version is deployed twice");
                if (expectedRejected.Contains(saga.CorrelationId))
                    saga.CurrentState.Should().Be("Rejected", $"{saga.ModelName} {saga.ModelVersion} is the weak model");
                else
                    saga.CurrentState.Should().BeOneOf("Deployed", "Superseded", "Rejected");
            }

            var hosts = sagas.SelectMany(s => s.History).Select(h => h.Actor + " " + h.Host).ToList();
            hosts.Should().Contain(x => x.Contains("host-a", StringComparison.Ordinal), "both hosts did work").And.Contain(x => x.Contains("host-b", StringComparison.Ordinal));
            foreach (var model in sagas.GroupBy(s => s.ModelName))
            {
                var champions = model.Where(s => s.CurrentState == "Deployed").ToList();
                champions.Should().HaveCount(1, $"{model.Key} has exactly one champion; found {string.Join("\n", champions.Select(Describe))}\nregistry: {await Registry(connectionString, model.Key)}");
                var alias = (await Ml.ModelRegistry.Connect(connectionString).ChampionAsync(model.Key))!;
                alias.ModelVersionId.Should().Be(champions[0].CorrelationId, "the shared registry's production alias is the saga's champion");
                alias.Revision.Should().Be(champions[0].AliasRevision);
            }

            (await Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NULL")).Should().Be(0);
            (await Scalar(connectionString, "SELECT COUNT(*) FROM bus_inbox WHERE consumed_at IS NULL")).Should().Be(0, "no claim is left behind");

            // An operator rolls the surviving champion of digits-0 back through host-b's API: the command goes
            // through the bus outbox, the saga restores the previous champion.
            var champion = sagas.Single(x => x.ModelName == "digits-0" && x.CurrentState == "Deployed");
            using var http = new HttpClient { BaseAddress = b.Url };
            (await http.PostAsJsonAsync($"/lifecycle/digits-0/{champion.ModelVersion}/rollback", new { reason = "" })).StatusCode
                .Should().Be(System.Net.HttpStatusCode.BadRequest, "an unaudited rollback is refused");
            var accepted = await http.PostAsJsonAsync($"/lifecycle/digits-0/{champion.ModelVersion}/rollback", new { reason = "latency regression", requestedBy = "oncall@test" });
            accepted.StatusCode.Should().Be(System.Net.HttpStatusCode.Accepted);
            await WaitFor(async () => (await Sagas(connectionString)).Single(x => x.CorrelationId == champion.CorrelationId).CurrentState == "RolledBack",
                TimeSpan.FromMinutes(1), "the champion rolled back", () => b.Log);
            var after = await Sagas(connectionString);
            after.Single(x => x.CorrelationId == champion.PreviousChampionId).CurrentState.Should().Be("Deployed", "the previous champion serves again");
            after.Where(x => x.ModelName == "digits-0").Count(x => x.CurrentState == "Deployed").Should().Be(1);
            after.Single(x => x.CorrelationId == champion.CorrelationId).History.Should().Contain(h => h.Actor == "oncall@test", "who asked is in the audit trail");
        }
        finally
        {
            a.Kill();
            await b.DisposeAsync();
            await a.DisposeAsync();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    static string Describe(Pipeline.ModelLifecycleState s) =>
        $"{s.ModelVersion} rev {s.AliasRevision}: " + string.Join(" | ", s.History.Select(h => $"{h.State} by {h.Event} at {h.At:HH:mm:ss.fff} ({h.Detail}; {h.Actor}; msg {h.MessageId})"));

    static async Task<string> Registry(string connectionString, string model) =>
        string.Join(", ", (await Ml.ModelRegistry.Connect(connectionString).HistoryAsync(model)).Select(h => $"{h.Revision}:{h.ModelVersion}"));

    static JsonNode Announcement(string trainOutput) => JsonNode.Parse(trainOutput.Trim().Split('\n')[^1])!;

    static async Task<string> CreateDatabase(PostgresCluster cluster, string name)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return cluster.ConnectionString.Replace("Database=postgres", $"Database={name}", StringComparison.Ordinal);
    }

    static async Task<long> Scalar(string connectionString, string sql)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (PostgresException ex) when (ex.SqlState == "42P01")
        {
            return 0; // the hosts have not created the tables yet
        }
    }

    static Task<long> CountFinal(string connectionString) =>
        Scalar(connectionString, $"SELECT COUNT(*) FROM model_lifecycle WHERE current_state IN ({string.Join(", ", Final.Select(f => $"'{f}'"))})");

    static Task<long> Pending(string connectionString) => Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NULL");

    static async Task<List<Pipeline.ModelLifecycleState>> Sagas(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT data::text FROM model_lifecycle", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<Pipeline.ModelLifecycleState>();
        while (await reader.ReadAsync())
            result.Add(JsonSerializer.Deserialize<Pipeline.ModelLifecycleState>(reader.GetString(0), new JsonSerializerOptions(JsonSerializerDefaults.Web))!);
        return result;
    }

    async Task WaitFor(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? log = null)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await condition())
                return;
            await Task.Delay(500);
        }

        if (log is not null)
            output.WriteLine(log());
        (await condition()).Should().BeTrue($"{what} within {timeout}");
    }
}
