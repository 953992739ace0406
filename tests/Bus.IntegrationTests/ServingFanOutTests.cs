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
/// shared registry (its reconciling with the registry is off, so only the queue can tell it), and a replica started
/// later serves the champion at once. Two replicas misconfigured with one name share one queue, so each deployment
/// event reaches only one of them: the other catches up from the registry within its reconcile interval.
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

        await using var deployer = await HostProcess.StartAsync("deployer", ["lifecycle", "evaluation", "deployment"], Settings("deployer"), default);
        var replicaSettings = Settings("replica");
        replicaSettings["Bus:Serving:ReconcileInterval"] = "00:00:00";
        // A budget one sample fits (the demo's models take a few KiB each) and 256 do not.
        replicaSettings["Bus:Security:Predict:MaxActivationBytes"] = "65536";
        await using var replica = await HostProcess.StartAsync("replica", ["serving"], replicaSettings, default);
        Dictionary<string, string> Twin(string name)
        {
            var twin = Settings(name);
            twin["Bus:Host:Name"] = "twins";
            twin["Bus:Serving:ReconcileInterval"] = "00:00:02";
            return twin;
        }

        await using var twinA = await HostProcess.StartAsync("twin-a", ["serving"], Twin("twin-a"), default);
        await using var twinB = await HostProcess.StartAsync("twin-b", ["serving"], Twin("twin-b"), default);
        foreach (var version in new[] { "1", "2" })
        {
            await pipeline.AnnounceAsync("digits", version, trained);
            await pipeline.WaitFor(async () => (await Served(deployer))?.Version == version, $"the deployer serving digits {version}", TimeSpan.FromMinutes(3),
                () => deployer.Log);
            await pipeline.WaitFor(async () => (await Served(replica))?.Version == version, $"the replica serving digits {version}", TimeSpan.FromMinutes(3),
                () => replica.Log);
            (await Served(replica))!.Revision.Should().Be((await Served(deployer))!.Revision, "one alias, one revision, on every serving host");
            foreach (var twin in new[] { twinA, twinB })
            {
                await pipeline.WaitFor(async () => (await Served(twin))?.Version == version,
                    $"{twin.Name} (one name and one queue for two hosts) serving digits {version}",
                    TimeSpan.FromMinutes(1), () => twin.Log);
                (await Served(twin))!.Revision.Should().Be((await Served(deployer))!.Revision);
            }
        }

        using var http = new HttpClient { BaseAddress = replica.Url };
        var predicted = await http.PostAsJsonAsync("/models/digits/predict", new { instances = new[] { new float[64] } });
        predicted.EnsureSuccessStatusCode();
        (await predicted.Content.ReadFromJsonAsync<JsonObject>())!["modelVersion"]!.ToString().Should().Be("2");
        var tooMany = await http.PostAsJsonAsync("/models/digits/predict", new { instances = Enumerable.Repeat(new float[64], 256) });
        tooMany.StatusCode.Should().Be(System.Net.HttpStatusCode.RequestEntityTooLarge, "256 samples pass the replica's activation budget");
        (await tooMany.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.ToString().Should()
            .Match("digits 2 at a sample of [8,8,1]: 256 samples need about * MiB at *; the activation budget is 0.1 MiB " +
                "(Bus:Security:Predict:MaxActivationBytes), which holds * at a time");
        // Values that are not finite numbers (a string read as a number, a literal past float's range) are the caller's fault,
        // refused with where the first one is; never the model's input, never a 500 from writing the answer.
        foreach (var (bad, at) in new[] { ("\"NaN\"", 3), ("\"-Infinity\"", 0), ("1e400", 63) })
        {
            var values = string.Join(",", Enumerable.Range(0, 64).Select(i => i == at ? bad : "0"));
            var refused = await http.PostAsync(new Uri("/models/digits/predict", UriKind.Relative),
                new StringContent($$"""{"instances":[[{{values}}]]}""", System.Text.Encoding.UTF8, "application/json"));
            refused.StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest, bad);
            refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.ToString().Should().StartWith($"instances[0][{at}] is ");
        }

        await using var late = await HostProcess.StartAsync("late-replica", ["serving"], Settings("late"), default);
        await pipeline.WaitFor(async () => (await Served(late))?.Version == "2", "a replica started later serving the champion from the shared registry",
            TimeSpan.FromMinutes(3), () => late.Log);

        // The operator's view of the same pipeline on PostgreSQL (the CLI's queries run as SQL there too).
        var status = await HostedPipeline.Cli("status", "digits", "--db", connectionString);
        status.ExitCode.Should().Be(0, status.Error);
        status.Output.Should().Contain($"digits: champion 2 (alias revision {(await Served(deployer))!.Revision})");
        var audit = await HostedPipeline.Cli("audit", "--db", connectionString, "--model", "digits", "--format", "csv");
        audit.ExitCode.Should().Be(0, audit.Error);
        // The CSV's seventh column is the state a record moved to (the sixth the state it left).
        var states = audit.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[6]).ToList();
        states.Count(s => s == "Deployed").Should().Be(2, "each version was deployed once");
        states.Should().Contain("Superseded", "version 1 was superseded by version 2");
    }

    sealed record ServedModelInfo(string ModelName, string Version, long Revision);

    static async Task<ServedModelInfo?> Served(HostProcess host)
    {
        using var http = new HttpClient { BaseAddress = host.Url, Timeout = TimeSpan.FromSeconds(5) };
        var models = await http.GetFromJsonAsync<List<ServedModelInfo>>("/models", new JsonSerializerOptions(JsonSerializerDefaults.Web));
        return models?.SingleOrDefault(m => m.ModelName == "digits");
    }
}
