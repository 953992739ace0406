using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Sns;
using Npgsql;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// An inference replica that deploys nothing itself (stage "serving", its own data directory, the pipeline's
/// PostgreSQL): it follows every deployment made by another host through its own `model-deployed` queue and the
/// shared registry, and a replica started later serves the champion at once.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_a_model_is_deployed_on_another_host(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_serve_the_same_champion_on_every_serving_host()
    {
        await using var postgres = await PostgresCluster.StartAsync();
        var connectionString = postgres.ConnectionString.Replace("Database=postgres", "Database=fanout", StringComparison.Ordinal);
        await using (var admin = new NpgsqlConnection(postgres.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE fanout", admin);
            await create.ExecuteNonQueryAsync();
        }

        var scope = Emulated.Scope("fan");
        var data = Directory.CreateTempSubdirectory("bus-fanout-").FullName;
        var endpoint = emulator.ServiceUrl.ToString().TrimEnd('/');
        var trained = JsonNode.Parse((await NodeScript.RunAsync("train.mjs", "--endpoint", endpoint, "--scope", scope, "--model", "digits", "--version", "trained",
            "--epochs", "3", "--quiet", "--no-announce")).Trim().Split('\n')[^1])!;
        Dictionary<string, string> Settings(string name) => new()
        {
            ["Bus:Aws:ServiceUrl"] = emulator.ServiceUrl.ToString(),
            ["Bus:Aws:Scope"] = scope,
            ["Bus:Host:DataDirectory"] = Path.Combine(data, name),
            ["Bus:Persistence:ConnectionString"] = connectionString,
            ["Bus:Lifecycle:EvaluationTimeout"] = "00:05:00",
        };

        var deployer = await HostProcess.StartAsync("deployer", ["lifecycle", "evaluation", "deployment"], Settings("deployer"), default);
        var replica = await HostProcess.StartAsync("replica", ["serving"], Settings("replica"), default);
        HostProcess? late = null;
        try
        {
            using var sns = new SnsClient(AwsClients.Credentials, "us-east-1", emulator.ServiceUrl);
            var topic = await sns.CreateTopicAsync($"{scope}-training-complete");
            foreach (var version in new[] { "1", "2" })
            {
                await sns.PublishAsync(topic, JsonSerializer.Serialize(new
                {
                    modelName = "digits", modelVersion = version, artifactUri = trained["artifactUri"]!.ToString(), artifactFormat = "tfjs-layers",
                    artifactSha256 = trained["artifactSha256"]!.ToString(), validationSetUri = trained["validationSetUri"]!.ToString(), producer = "trainer@test",
                }));
                await WaitFor(async () => (await Served(deployer))?.Version == version, $"the deployer serving digits {version}", deployer);
                await WaitFor(async () => (await Served(replica))?.Version == version, $"the replica serving digits {version}", replica);
                (await Served(replica))!.Revision.Should().Be((await Served(deployer))!.Revision, "one alias, one revision, on every serving host");
            }

            using var http = new HttpClient { BaseAddress = replica.Url };
            var predicted = await http.PostAsJsonAsync("/models/digits/predict", new { instances = new[] { new float[64] } });
            predicted.EnsureSuccessStatusCode();
            (await predicted.Content.ReadFromJsonAsync<JsonObject>())!["modelVersion"]!.ToString().Should().Be("2");

            late = await HostProcess.StartAsync("late-replica", ["serving"], Settings("late"), default);
            await WaitFor(async () => (await Served(late))?.Version == "2", "a replica started later serving the champion from the shared registry", late);
        }
        finally
        {
            if (late is not null)
                await late.DisposeAsync();
            await replica.DisposeAsync();
            await deployer.DisposeAsync();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    sealed record ServedModelInfo(string ModelName, string Version, long Revision);

    static async Task<ServedModelInfo?> Served(HostProcess host)
    {
        using var http = new HttpClient { BaseAddress = host.Url, Timeout = TimeSpan.FromSeconds(5) };
        var models = await http.GetFromJsonAsync<List<ServedModelInfo>>("/models", new JsonSerializerOptions(JsonSerializerDefaults.Web));
        return models?.SingleOrDefault(m => m.ModelName == "digits");
    }

    async Task WaitFor(Func<Task<bool>> condition, string what, HostProcess host)
    {
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (DateTime.UtcNow < until)
        {
            if (await condition())
                return;
            await Task.Delay(300);
        }

        output.WriteLine(host.Log);
        (await condition()).Should().BeTrue($"{what} within 3 minutes");
    }
}
