using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bus.Testing;
using Bus.Tooling;
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
        var connectionString = await HostedPipeline.CreateDatabase(postgres, "fanout");
        using var pipeline = new HostedPipeline(emulator, "fan", output);
        var trained = await pipeline.TrainAsync("trained");
        Dictionary<string, string> Settings(string name) => pipeline.Settings(Path.Combine(pipeline.Data, name), connectionString);

        var deployer = await HostProcess.StartAsync("deployer", ["lifecycle", "evaluation", "deployment"], Settings("deployer"), default);
        var replica = await HostProcess.StartAsync("replica", ["serving"], Settings("replica"), default);
        HostProcess? late = null;
        try
        {
            foreach (var version in new[] { "1", "2" })
            {
                await pipeline.AnnounceAsync("digits", version, trained);
                await pipeline.WaitFor(async () => (await Served(deployer))?.Version == version, $"the deployer serving digits {version}", TimeSpan.FromMinutes(3), () => deployer.Log);
                await pipeline.WaitFor(async () => (await Served(replica))?.Version == version, $"the replica serving digits {version}", TimeSpan.FromMinutes(3), () => replica.Log);
                (await Served(replica))!.Revision.Should().Be((await Served(deployer))!.Revision, "one alias, one revision, on every serving host");
            }

            using var http = new HttpClient { BaseAddress = replica.Url };
            var predicted = await http.PostAsJsonAsync("/models/digits/predict", new { instances = new[] { new float[64] } });
            predicted.EnsureSuccessStatusCode();
            (await predicted.Content.ReadFromJsonAsync<JsonObject>())!["modelVersion"]!.ToString().Should().Be("2");

            late = await HostProcess.StartAsync("late-replica", ["serving"], Settings("late"), default);
            await pipeline.WaitFor(async () => (await Served(late))?.Version == "2", "a replica started later serving the champion from the shared registry", TimeSpan.FromMinutes(3), () => late.Log);
        }
        finally
        {
            if (late is not null)
                await late.DisposeAsync();
            await replica.DisposeAsync();
            await deployer.DisposeAsync();
        }
    }

    sealed record ServedModelInfo(string ModelName, string Version, long Revision);

    static async Task<ServedModelInfo?> Served(HostProcess host)
    {
        using var http = new HttpClient { BaseAddress = host.Url, Timeout = TimeSpan.FromSeconds(5) };
        var models = await http.GetFromJsonAsync<List<ServedModelInfo>>("/models", new JsonSerializerOptions(JsonSerializerDefaults.Web));
        return models?.SingleOrDefault(m => m.ModelName == "digits");
    }
}
