using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bus.Registry;
using Bus.Testing;
using Bus.Tooling;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>A host's HTTP doors, tried as a stranger, a viewer and an operator would; then stopped as a supervisor does.</summary>
[Collection(EmulatorCollection.Name)]
public class When_callers_knock_on_a_hosts_http_doors(EmulatorFixture emulator, ITestOutputHelper output)
{
    const string OperatorKey = "operator-key-for-tests-only";
    const string ViewerKey = "viewer-key-for-tests-only";

    static string Sha(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    static readonly byte[] SigningKey = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>An HS256 JWT, signed by hand (RFC 7519): what an OIDC provider issues, with a symmetric key.</summary>
    static string Token(string subject, string role, byte[] key)
    {
        var header = Base64Url(Encoding.UTF8.GetBytes("""{"alg":"HS256","typ":"JWT"}"""));
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        var payload = Base64Url(Encoding.UTF8.GetBytes($$"""{"sub":"{{subject}}","iss":"bus-test","roles":["{{role}}"],"exp":{{exp}}}"""));
        var signature = Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{header}.{payload}")));
        return $"{header}.{payload}.{signature}";
    }

    static HttpRequestMessage Bearer(string token)
    {
        var request = Rollback(null);
        request.Headers.Add("Authorization", $"Bearer {token}");
        return request;
    }

    static HttpRequestMessage Rollback(string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/lifecycle/digits/1/rollback")
        {
            Content = JsonContent.Create(new { reason = "latency regression", requestedBy = "someone-else@forged" }),
        };
        if (key is not null)
            request.Headers.Add("Authorization", $"ApiKey {key}");
        return request;
    }

    [Fact]
    public async Task Should_let_only_operators_manage_limit_predictions_and_stop_cleanly()
    {
        using var pipeline = new HostedPipeline(emulator, "sec", output);
        var settings = pipeline.Settings(Path.Combine(pipeline.Data, "host"));
        settings["Bus:Security:ApiKeys:oncall:Sha256"] = Sha(OperatorKey);
        settings["Bus:Security:ApiKeys:oncall:Roles:0"] = "operator";
        settings["Bus:Security:ApiKeys:dashboard:Sha256"] = Sha(ViewerKey);
        settings["Bus:Security:ApiKeys:dashboard:Roles:0"] = "viewer";
        settings["Bus:Security:Predict:MaxBodyBytes"] = "8192";
        settings["Bus:Security:Predict:MaxInstances"] = "4";
        settings["Bus:Security:Jwt:SigningKey"] = Convert.ToBase64String(SigningKey);
        settings["Bus:Security:Jwt:Issuer"] = "bus-test";
        var host = await HostProcess.StartAsync("secured", ["lifecycle", "deployment"], settings, default);
        try
        {
            using var http = new HttpClient { BaseAddress = host.Url };
            // A version to act on (an announcement the saga fails at once: its artifact is not an S3 URI); management
            // commands for a version the saga does not know are refused at the door.
            var db = $"Data Source={Path.Combine(pipeline.Data, "host", "bus.db")}";
            await pipeline.PublishRawAsync(
                """{"modelName":"digits","modelVersion":"1","artifactUri":"nowhere","artifactFormat":"onnx","artifactSha256":"x"}""");
            await pipeline.WaitFor(
                async () => (await HostedPipeline.Cli("status", "digits", "1", "--db", db)).Output.Contains("Failed", StringComparison.Ordinal),
                "digits 1 known (Failed)", TimeSpan.FromMinutes(1), () => host.Log);

            (await http.SendAsync(Rollback(null))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await http.SendAsync(Rollback("not-a-key"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await http.SendAsync(Rollback(ViewerKey))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
            var accepted = await http.SendAsync(Rollback(OperatorKey));
            accepted.StatusCode.Should().Be(HttpStatusCode.Accepted);
            (await accepted.Content.ReadFromJsonAsync<JsonObject>())!["requestedBy"]!.ToString().Should().Be("apikey:oncall",
                "the actor is the principal, not the body's claim");

            var byToken = await http.SendAsync(Bearer(Token("alice", "operator", SigningKey)));
            byToken.StatusCode.Should().Be(HttpStatusCode.Accepted);
            (await byToken.Content.ReadFromJsonAsync<JsonObject>())!["requestedBy"]!.ToString().Should().Be("alice");
            (await http.SendAsync(Bearer(Token("bob", "viewer", SigningKey)))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await http.SendAsync(Bearer(Token("mallory", "operator", new byte[32])))).StatusCode.Should().Be(HttpStatusCode.Unauthorized,
                "signed with another key");

            // Every refusal is problem details (RFC 9457), an unknown version and a body that is not JSON included.
            using (var unknown = Rollback(OperatorKey))
            {
                unknown.RequestUri = new Uri("/lifecycle/digits/nosuch/rollback", UriKind.Relative);
                var refused = await http.SendAsync(unknown);
                refused.StatusCode.Should().Be(HttpStatusCode.NotFound);
                refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
                (await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.ToString().Should().Be("digits nosuch is not a known model version");
            }

            var audit = await HostedPipeline.Cli("audit", "--db", db, "--model", "digits", "--format", "csv");
            audit.Output.Split('\n').Should().Contain(l => l.Contains(",nosuch,", StringComparison.Ordinal)
                    && l.Contains(",Unknown,RollbackModel,http,apikey:oncall,", StringComparison.Ordinal)
                    && l.Contains("rollback refused: digits nosuch is not a known model version", StringComparison.Ordinal),
                "a command refused at the door is recorded as the saga's refusals are");
            using (var garbled = Rollback(OperatorKey))
            {
                garbled.Content = new StringContent("{ not json", Encoding.UTF8, "application/json");
                var bad = await http.SendAsync(garbled);
                bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
                bad.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
                (await bad.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.ToString().Should().Contain("DecisionRequest");
            }

            var unauthorized = await http.SendAsync(Rollback(null));
            unauthorized.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", "a refusal without a body of its own gets one");

            var big = new { instances = Enumerable.Range(0, 40).Select(_ => new float[64]).ToArray() };
            (await http.PostAsJsonAsync("/models/digits/predict", big)).StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge, "the body is over 8 KiB");
            var many = new { instances = Enumerable.Range(0, 5).Select(_ => new float[1]).ToArray() };
            (await http.PostAsJsonAsync("/models/digits/predict", many)).StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge,
                "5 instances, the cap is 4");
            var notServed = await http.PostAsJsonAsync("/models/digits/predict", new { instances = new[] { new float[64] } });
            notServed.StatusCode.Should().Be(HttpStatusCode.NotFound);
            notServed.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");

            var anonymous = JsonNode.Parse(await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative)))!.AsObject();
            anonymous.Select(p => p.Key).Should().Equal("status");
            using var asOperator = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
            asOperator.Headers.Add("X-Api-Key", OperatorKey);
            var detailed = JsonNode.Parse(await (await http.SendAsync(asOperator)).Content.ReadAsStringAsync())!;
            detailed["checks"]!["pipeline-database"]!["status"]!.ToString().Should().Be("Healthy");
        }
        finally
        {
            var exitCode = await host.TerminateAsync();
            await host.DisposeAsync();
            exitCode.Should().Be(0, $"SIGTERM is a clean stop, not a crash:\n{host.Log}");
        }
    }
}

/// <summary>A serving host whose registry names a champion it cannot load (the artifact is gone) says so on /health/ready.</summary>
[Collection(EmulatorCollection.Name)]
public class When_a_serving_host_cannot_load_its_champion(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_be_unhealthy_and_say_which_model_and_why()
    {
        using var pipeline = new HostedPipeline(emulator, "ghost", output);
        var data = Path.Combine(pipeline.Data, "replica");
        Directory.CreateDirectory(data);
        var registry = new ModelRegistry(Path.Combine(data, "registry.db"));
        await registry.PromoteAsync("digits", Contracts.ModelVersionKey.For("digits", "1"), "1",
            new Ml.ArtifactReference($"s3://{pipeline.Scope}-bus-models/digits/gone/model.json", "tfjs-layers", new string('a', 64)), new Dictionary<string,
                double>(), "test");

        await using var replica = await HostProcess.StartAsync("replica", ["serving"], pipeline.Settings(data), default, untilLive: true);
        using var http = new HttpClient { BaseAddress = replica.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", HostedPipeline.OperatorApiKey);
        HttpResponseMessage? ready = null;
        JsonNode? serving = null;
        // Ready is 503 while the bus is starting and the registry unread too: wait for the serving check to have tried the champion.
        await pipeline.WaitFor(async () =>
            {
                ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                serving = JsonNode.Parse(await ready.Content.ReadAsStringAsync())?["checks"]?["serving"];
                return ready.StatusCode == HttpStatusCode.ServiceUnavailable && serving?["description"]?.ToString().Contains("cannot load") == true;
            },
            "the replica unhealthy", TimeSpan.FromMinutes(1), () => replica.Log);
        serving!["status"]!.ToString().Should().Be("Unhealthy");
        serving["description"]!.ToString().Should().Contain("cannot load the champion digits 1 (alias revision 1)").And.Contain("does not exist");
    }
}

/// <summary>A serving host whose champion's artifact is overwritten in S3 keeps serving it from memory and says it is degraded.</summary>
[Collection(EmulatorCollection.Name)]
public class When_a_served_champions_artifact_changes(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_stay_ready_but_degraded_and_say_which_model_and_why()
    {
        using var pipeline = new HostedPipeline(emulator, "drift", output);
        var trained = await pipeline.TrainAsync("trained");
        var data = Path.Combine(pipeline.Data, "replica");
        Directory.CreateDirectory(data);
        var artifactUri = trained["artifactUri"]!.ToString();
        var registry = new ModelRegistry(Path.Combine(data, "registry.db"));
        await registry.PromoteAsync("digits", Contracts.ModelVersionKey.For("digits", "1"), "1",
            new Ml.ArtifactReference(artifactUri, "tfjs-layers", trained["artifactSha256"]!.ToString()), new Dictionary<string, double>(), "test");
        var settings = pipeline.Settings(data);
        settings["Bus:Serving:ReconcileInterval"] = "00:00:01";
        settings["Bus:Serving:VerifyInterval"] = "00:00:01";

        await using var replica = await HostProcess.StartAsync("replica", ["serving"], settings, default);
        using var http = new HttpClient { BaseAddress = replica.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", HostedPipeline.OperatorApiKey);
        async Task<(HttpStatusCode Code, JsonNode? Serving)> Ready()
        {
            var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return (ready.StatusCode, JsonNode.Parse(await ready.Content.ReadAsStringAsync())?["checks"]?["serving"]);
        }

        await pipeline.WaitFor(async () => (await Ready()).Serving?["status"]?.ToString() == "Healthy", "the replica serving digits 1",
            TimeSpan.FromMinutes(1), () => replica.Log);
        var (bucket, key) = (artifactUri[5..artifactUri.IndexOf('/', 5)], artifactUri[(artifactUri.IndexOf('/', 5) + 1)..]);
        using var s3 = Ml.S3ArtifactStore.CreateClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
        await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = key, ContentBody = """{"overwritten":true}""" });

        (HttpStatusCode Code, JsonNode? Serving) degraded = default;
        await pipeline.WaitFor(async () => (degraded = await Ready()).Serving?["status"]?.ToString() == "Degraded", "the replica degraded",
            TimeSpan.FromMinutes(1), () => replica.Log);
        degraded.Code.Should().Be(HttpStatusCode.OK, "it still serves the champion it loaded");
        degraded.Serving!["description"]!.ToString().Should().Contain("serving the champion digits 1 from memory, but its artifact changed");
        (await http.PostAsJsonAsync("/models/digits/predict", new { instances = new[] { new float[64] } })).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
