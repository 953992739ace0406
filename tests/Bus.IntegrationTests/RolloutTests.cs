using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using Bus.Ml;
using Bus.Testing;
using Bus.Tooling;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// A canary over the emulator: a deployment host and two serving replicas on one PostgreSQL. A good candidate is
/// promoted through every step while clients call the replicas; the split over 2,000 callers is the configured share; a
/// candidate that passes the governed set but fails on live inputs is ended by the error-rate guardrail within its first
/// judgment, with no client failure outside the candidate's share, and the champion never stops serving.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_a_candidate_rolls_out_on_live_traffic(EmulatorFixture emulator, ITestOutputHelper output)
{
    const string Region = "us-east-1";

    [Fact]
    public async Task Should_promote_a_good_candidate_step_by_step_and_end_one_that_fails_live()
    {
        await using var postgres = await PostgresCluster.StartAsync();
        var connectionString = await HostedPipeline.CreateDatabase(postgres, "rollout");
        using var pipeline = new HostedPipeline(emulator, "canary", output);
        var trained = await pipeline.TrainAsync("trained");
        var faulty = await LiveFaultAsync(trained);
        Dictionary<string, string> Settings(string name) => Rolling(pipeline.Settings(Path.Combine(pipeline.Data, name), connectionString),
            ("digits", [("Mode", "Canary"), ("Steps:0", "25"), ("Steps:1", "50"), ("BakeTime", "00:00:03"), ("MinRequests", "20"),
                ("FailureLimit", "1"), ("AgreementSample", "0.2")]),
            ("digits-shadow", [("Mode", "Shadow"), ("ShadowPercent", "100"), ("BakeTime", "00:00:03"), ("MinRequests", "20")]));

        await using var deployer = await HostProcess.StartAsync("deployer", ["lifecycle", "evaluation", "deployment"], Settings("deployer"), default);
        await using var replicaA = await HostProcess.StartAsync("replica-a", ["serving"], Settings("replica-a"), default);
        await using var replicaB = await HostProcess.StartAsync("replica-b", ["serving"], Settings("replica-b"), default);
        HostProcess[] replicas = [replicaA, replicaB];
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("X-Api-Key", HostedPipeline.OperatorApiKey);

        await pipeline.AnnounceAsync("digits", "1", trained);
        await WaitForState(pipeline, deployer, "1", "Deployed", "the first version, deployed at once (no champion to compare with)");
        foreach (var replica in replicas)
            await pipeline.WaitFor(async () => (await Call(http, replica, "first", [.. Pixels(0)])).Version == "1", $"{replica.Name} serving 1",
                TimeSpan.FromMinutes(1), () => replica.Log);

        // A good candidate: clients keep calling while it bakes, and it is promoted through 25 % and 50 %.
        await pipeline.AnnounceAsync("digits", "2", trained);
        await WaitForState(pipeline, deployer, "2", "Canary", "digits 2 rolling out");
        var random = new Random(11);
        var served = new Dictionary<string, int>();
        await pipeline.WaitFor(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var answer = await Call(http, replicas[i % 2], $"caller-{random.Next(100_000)}", Pixels(random.Next(17)));
                answer.Status.Should().Be(HttpStatusCode.OK, answer.Body);
                // During the rollout the client tells the replica the true label (here: the one predicted), for each version's live
                // accuracy; a prediction made before the replica heard of the rollout, or after its end, has no id.
                if (answer.Prediction!["predictionId"] is not JsonValue id)
                    continue;
                var feedback = await http.PostAsJsonAsync(new Uri(replicas[i % 2].Url, "/models/digits/feedback"),
                    new { predictionId = id.GetValue<Guid>(), label = answer.Prediction["label"]!.GetValue<int>() });
                feedback.StatusCode.Should().Be(HttpStatusCode.Accepted);
            }

            return await StateOf(deployer, "2") == "Deployed";
        }, "digits 2 promoted through every step", TimeSpan.FromMinutes(3), () => deployer.Log);
        var unknown = await http.PostAsJsonAsync(new Uri(replicaA.Url, "/models/digits/feedback"), new { predictionId = Guid.NewGuid(), label = 3 });
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound, "a label for a prediction this replica never made is refused");
        var timeline = await Timeline(deployer, "2");
        timeline.Should().Contain(d => d.Contains("live accuracy below the champion's 0% (100% of", StringComparison.Ordinal));
        timeline.Should().Contain(d => d.StartsWith("rollout started: canary rollout 25% → 50% → 100%", StringComparison.Ordinal));
        timeline.Should().Contain("step 2: the candidate takes 50%");
        timeline.Should().Contain(d => d.Contains("replica(s) reporting): pass: error rate 0%", StringComparison.Ordinal));
        timeline.Should().Contain(d => d.StartsWith("rollout promoted", StringComparison.Ordinal));

        // The faulty candidate: on the governed set it is the champion's equal; a pixel of 100 (never in the set) makes it answer NaN.
        await pipeline.AnnounceAsync("digits", "3", faulty);
        await WaitForState(pipeline, deployer, "3", "Canary", "digits 3 rolling out");
        foreach (var replica in replicas)
            await pipeline.WaitFor(async () => await Routes(http, replica), $"{replica.Name} routing to the candidate", TimeSpan.FromSeconds(30));

        // The operator freezes the split and 2,000 callers measure it: a quarter of them go to the candidate.
        (await Post(http, deployer, "/lifecycle/digits/3/rollout/pause")).Should().Be(HttpStatusCode.Accepted);
        await pipeline.WaitFor(async () => (await Timeline(deployer, "3")).Any(d => d.StartsWith("rollout paused at 25%", StringComparison.Ordinal)),
            "the pause recorded", TimeSpan.FromSeconds(30));
        (await Status(deployer, "3"))["rollout"]!.ToString().Should().StartWith("canary step 1 of 2, 25% of live traffic (paused)");
        for (var i = 0; i < 2_000; i++)
        {
            var answer = await Call(http, replicas[i % 2], $"split-{i}", Pixels(random.Next(17)));
            answer.Status.Should().Be(HttpStatusCode.OK);
            served[answer.Version] = served.GetValueOrDefault(answer.Version) + 1;
        }

        ((double)served.GetValueOrDefault("3") / 2_000).Should().BeApproximately(0.25, 0.03, "the configured share of callers goes to the candidate");
        await InferenceProtocolChecks(http, replicaA);

        string[] cli = ["--db", connectionString, "--service-url", emulator.ServiceUrl.ToString(), "--scope", pipeline.Scope, "--wait", "60"];
        var again = await HostedPipeline.Cli(["rollout", "pause", "digits", "3", "--reason", "twice", "--by", "oncall@test", .. cli]);
        again.ExitCode.Should().Be(1, "a paused rollout cannot be paused again");
        again.Error.Should().Contain("the rollout is already paused");
        var resumed = await HostedPipeline.Cli(["rollout", "resume", "digits", "3", "--reason", "split measured", "--by", "oncall@test", .. cli]);
        resumed.ExitCode.Should().Be(0, resumed.Output + resumed.Error);
        resumed.Output.Should().Contain("rollout resumed at 25%: split measured");
        var failures = new List<string>();
        var answered = 0;
        await pipeline.WaitFor(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var live = Pixels(random.Next(17));
                if (i % 5 == 0)
                    live[random.Next(64)] = 100; // a live input the governed set never had
                var answer = await Call(http, replicas[i % 2], $"live-{random.Next(100_000)}", live);
                answered++;
                if (answer.Status != HttpStatusCode.OK)
                    failures.Add($"{answer.Status} {answer.Body}");
            }

            return await StateOf(deployer, "3") == "Failed";
        }, "digits 3 ended by a guardrail", TimeSpan.FromMinutes(2), () => deployer.Log);

        var status = await Status(deployer, "3");
        status["reason"]!.ToString().Should().Match("rollout failed at 25% on live traffic: error rate *% (≤ 2%): FAILED*; the champion kept serving");
        failures.Should().NotBeEmpty().And.OnlyContain(f => f.Contains("digits 3 answered a value that is not a finite number", StringComparison.Ordinal),
            "only the candidate's callers ever failed");
        ((double)failures.Count / answered).Should().BeLessThan(0.25 * 0.2 + 0.05, "a fifth of the candidate's quarter of the callers, no more");
        var audit = await HostedPipeline.Cli("audit", "--db", connectionString, "--model", "digits", "--format", "csv");
        audit.Output.Should().Contain("error rate").And.Contain("judgment 1 at 25%");
        foreach (var replica in replicas)
        {
            await pipeline.WaitFor(async () => !await Routes(http, replica), $"{replica.Name} no longer routing to digits 3", TimeSpan.FromSeconds(30));
            var after = await Call(http, replica, "after", [.. Pixels(3)[..63], 100]);
            after.Status.Should().Be(HttpStatusCode.OK, "the champion answers the input the candidate could not");
            after.Version.Should().Be("2");
        }

        // Shadow: the champion answers every caller; a copy of each request goes to the candidate, whose answers no client sees.
        await pipeline.AnnounceAsync("digits-shadow", "1", trained);
        await WaitForState(pipeline, deployer, "1", "Deployed", "digits-shadow 1 deployed at once", "digits-shadow");
        await pipeline.AnnounceAsync("digits-shadow", "2", trained);
        await WaitForState(pipeline, deployer, "2", "Shadow", "digits-shadow 2 in its shadow rollout", "digits-shadow");
        var shadowAnswers = new List<string>();
        await pipeline.WaitFor(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var answer = await Call(http, replicas[i % 2], $"shadow-{random.Next(100_000)}", Pixels(random.Next(17)), "digits-shadow");
                answer.Status.Should().Be(HttpStatusCode.OK, answer.Body);
                if (await StateOf(deployer, "2", "digits-shadow") == "Shadow")
                    shadowAnswers.Add(answer.Version);
            }

            return await StateOf(deployer, "2", "digits-shadow") == "Deployed";
        }, "digits-shadow 2 promoted from its shadow", TimeSpan.FromMinutes(3), () => deployer.Log);
        shadowAnswers.Should().NotBeEmpty().And.OnlyContain(v => v == "1", "a shadow candidate's answers never reach a client");
        var shadowTimeline = await Timeline(deployer, "2", "digits-shadow");
        shadowTimeline.Should().Contain(d => d.StartsWith("rollout started: shadow rollout: a copy of 100% of live requests", StringComparison.Ordinal));
        shadowTimeline.Should().Contain(d => d.Contains(": pass: ", StringComparison.Ordinal) && d.Contains("agreement with the champion 100% of ",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_go_on_when_a_replica_is_killed_and_resume_when_the_lifecycle_host_restarts()
    {
        await using var postgres = await PostgresCluster.StartAsync();
        var connectionString = await HostedPipeline.CreateDatabase(postgres, "rolloutfaults");
        using var pipeline = new HostedPipeline(emulator, "canaryfault", output);
        var trained = await pipeline.TrainAsync("trained");
        Dictionary<string, string> Settings(string name) => Rolling(pipeline.Settings(Path.Combine(pipeline.Data, name), connectionString),
            ("digits", [("Mode", "Linear"), ("LinearStep", "30"), ("BakeTime", "00:00:06"), ("MinRequests", "10")]));

        var deployer = await HostProcess.StartAsync("deployer", ["lifecycle", "evaluation", "deployment"], Settings("deployer"), default);
        try
        {
            await using var replicaA = await HostProcess.StartAsync("replica-a", ["serving"], Settings("replica-a"), default);
            await using var replicaB = await HostProcess.StartAsync("replica-b", ["serving"], Settings("replica-b"), default);
            using var http = new HttpClient();
            await pipeline.AnnounceAsync("digits", "1", trained);
            await WaitForState(pipeline, deployer, "1", "Deployed", "digits 1 deployed");
            await pipeline.AnnounceAsync("digits", "2", trained);
            await WaitForState(pipeline, deployer, "2", "Canary", "digits 2 rolling out");
            var random = new Random(5);
            async Task Traffic(params HostProcess[] replicas)
            {
                for (var i = 0; i < 30; i++)
                    await Call(http, replicas[i % replicas.Length], $"caller-{random.Next(100_000)}", Pixels(random.Next(17)));
            }

            await pipeline.WaitFor(async () =>
            {
                await Traffic(replicaA, replicaB);
                return (await Timeline(deployer, "2")).Any(d => d.Contains(": pass: ", StringComparison.Ordinal));
            }, "a first passing judgment with both replicas", TimeSpan.FromMinutes(1), () => deployer.Log);

            // A replica dies mid-step: its reports stop, the others go on being judged; nothing is promoted for want of its data.
            replicaA.Kill();
            var judged = (await Timeline(deployer, "2")).Count(d => d.StartsWith("judgment ", StringComparison.Ordinal));
            await pipeline.WaitFor(async () =>
            {
                await Traffic(replicaB);
                return (await Timeline(deployer, "2")).Count(d => d.StartsWith("judgment ", StringComparison.Ordinal)) >= judged + 2;
            }, "judgments going on with one replica", TimeSpan.FromMinutes(1), () => deployer.Log);
            (await StateOf(deployer, "2")).Should().BeOneOf("Canary", "Approved", "Deployed");

            // The lifecycle host dies too, and another takes its place: the rollout's timer and state are durable, so it resumes.
            await deployer.DisposeAsync();
            var before = (await HostedPipeline.Cli("status", "digits", "2", "--db", connectionString)).Output;
            deployer = await HostProcess.StartAsync("deployer", ["lifecycle", "evaluation", "deployment"], Settings("deployer"), default);
            await pipeline.WaitFor(async () =>
            {
                await Traffic(replicaB);
                return await StateOf(deployer, "2") == "Deployed";
            }, "digits 2 promoted after the lifecycle host restarted", TimeSpan.FromMinutes(3), () => deployer.Log);
            before.Should().Contain("rollout", "the version was mid-rollout when its host went away");
            var timeline = await Timeline(deployer, "2");
            timeline.Should().Contain(d => d.StartsWith("rollout started: linear rollout 30% → 60% → 90% → 100%", StringComparison.Ordinal));
            timeline.Should().Contain(d => d.StartsWith("rollout promoted", StringComparison.Ordinal));
            (await Call(http, replicaB, "after", Pixels(2))).Version.Should().Be("2");
        }
        finally
        {
            await deployer.DisposeAsync();
        }
    }

    /// <summary>
    /// The Open Inference Protocol on a replica during digits 3's canary, with requests shaped as the protocol's examples:
    /// health, metadata, a version in the URL reaching the champion or the candidate, JSON data flat or nested, an integer
    /// type, the binary tensor data extension both ways, and its errors.
    /// </summary>
    static async Task InferenceProtocolChecks(HttpClient http, HostProcess replica)
    {
        Uri At(string path) => new(replica.Url, path);
        (await http.GetFromJsonAsync<JsonObject>(At("/v2/health/live")))!["live"]!.GetValue<bool>().Should().BeTrue();
        (await http.GetFromJsonAsync<JsonObject>(At("/v2/health/ready")))!["ready"]!.GetValue<bool>().Should().BeTrue();
        (await http.GetFromJsonAsync<JsonObject>(At("/v2")))!["extensions"]!.AsArray().Select(e => e!.ToString()).Should().Contain("binary_tensor_data");
        var metadata = (await http.GetFromJsonAsync<JsonObject>(At("/v2/models/digits")))!;
        metadata["versions"]!.AsArray().Select(v => v!.ToString()).Should().BeEquivalentTo(["2", "3"]);
        metadata["inputs"]![0]!.ToJsonString().Should().Be("""{"name":"input","datatype":"FP32","shape":[-1,8,8,1]}""");
        metadata["outputs"]![0]!.ToJsonString().Should().Be("""{"name":"output","datatype":"FP32","shape":[-1,10]}""");
        (await http.GetFromJsonAsync<JsonObject>(At("/v2/models/digits/versions/3/ready")))!["ready"]!.GetValue<bool>().Should().BeTrue();

        var flat = string.Join(",", Enumerable.Range(0, 128).Select(i => (i % 17).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var infer = await http.PostAsync(At("/v2/models/digits/versions/3/infer"), new StringContent($$"""
            { "id" : "42", "inputs" : [ { "name" : "input", "shape" : [ 2, 8, 8, 1 ], "datatype" : "FP32", "data" : [ {{flat}} ] } ],
              "outputs" : [ { "name" : "output" } ] }
            """, System.Text.Encoding.UTF8, "application/json"));
        var answer = JsonNode.Parse(await infer.Content.ReadAsStringAsync())!;
        infer.StatusCode.Should().Be(HttpStatusCode.OK, answer.ToJsonString());
        answer["model_name"]!.ToString().Should().Be("digits");
        answer["model_version"]!.ToString().Should().Be("3", "a version in the URL reaches the candidate directly");
        answer["id"]!.ToString().Should().Be("42");
        answer["outputs"]![0]!["shape"]!.ToJsonString().Should().Be("[2,10]");
        answer["outputs"]![0]!["data"]!.AsArray().Should().HaveCount(20);

        var rows = Enumerable.Range(0, 8).Select(r => "[" + string.Join(",", Enumerable.Range(0, 8).Select(c => $"[{(r + c) % 17}]")) + "]");
        var nested = "[" + string.Join(",", rows) + "]";
        var integers = await http.PostAsync(At("/v2/models/digits/versions/2/infer"), new StringContent($$"""
            {"inputs":[{"name":"input","shape":[1,8,8,1],"datatype":"INT32","data":[{{nested}}]}]}
            """, System.Text.Encoding.UTF8, "application/json"));
        integers.StatusCode.Should().Be(HttpStatusCode.OK, await integers.Content.ReadAsStringAsync());
        JsonNode.Parse(await integers.Content.ReadAsStringAsync())!["model_version"]!.ToString().Should().Be("2");

        // The binary tensor data extension: the JSON header, then 64 little-endian FP32 values; the output asked for as binary.
        var header = System.Text.Encoding.UTF8.GetBytes("""
            {"inputs":[{"name":"input","shape":[1,8,8,1],"datatype":"FP32","parameters":{"binary_data_size":256}}],
             "outputs":[{"name":"output","parameters":{"binary_data":true}}]}
            """);
        var pixels = Enumerable.Range(0, 64).Select(i => (float)(i % 17)).SelectMany(BitConverter.GetBytes).ToArray();
        using var binary = new ByteArrayContent([.. header, .. pixels]);
        binary.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        binary.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var binaryAnswer = await http.PostAsync(At("/v2/models/digits/infer"), binary);
        binaryAnswer.StatusCode.Should().Be(HttpStatusCode.OK, await binaryAnswer.Content.ReadAsStringAsync());
        var length = int.Parse(binaryAnswer.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var bytes = await binaryAnswer.Content.ReadAsByteArrayAsync();
        var json = JsonNode.Parse(bytes.AsSpan(0, length))!;
        json["outputs"]![0]!["parameters"]!["binary_data_size"]!.GetValue<int>().Should().Be(40);
        var probabilities = Enumerable.Range(0, 10).Select(i => BitConverter.ToSingle(bytes, length + i * 4)).ToArray();
        probabilities.Sum().Should().BeApproximately(1f, 1e-3f, "the softmax of one sample, read from the binary part");

        foreach (var (path, body, status, error) in new[]
        {
            ("/v2/models/nosuch/infer", """{"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":[0]}]}""", HttpStatusCode.NotFound, "no model"),
            ("/v2/models/digits/versions/9/infer", """{"inputs":[{"name":"input","shape":[1,8,8,1],"datatype":"FP32","data":[0]}]}""",
                HttpStatusCode.NotFound, "digits 9 is not served here"),
            ("/v2/models/digits/infer", """{"inputs":[{"name":"input","shape":[1,7],"datatype":"FP32","data":[1,2,3,4,5,6,7]}]}""",
                HttpStatusCode.BadRequest, "shape:"),
            ("/v2/models/digits/infer", """{"inputs":[{"name":"input","shape":[1,1],"datatype":"BYTES","data":["x"]}]}""",
                HttpStatusCode.BadRequest, "datatype 'BYTES'"),
        })
        {
            var refused = await http.PostAsync(At(path), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            refused.StatusCode.Should().Be(status, body);
            JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!.ToString().Should().Contain(error);
        }
    }

    /// <summary>
    /// Host settings with a rollout policy per model, judged every 2 s, and no rate limit on the test's one client address.
    /// One model's runs take well under a millisecond here, and a busy 2-core machine can make any p99 jump: latency is held
    /// to a generous bound.
    /// </summary>
    static Dictionary<string, string> Rolling(Dictionary<string, string> settings, params (string Model, (string Key, string Value)[] Policy)[] models)
    {
        settings["Bus:Security:Predict:RequestsPerSecond"] = "0";
        foreach (var (model, policy) in models)
        {
            foreach (var (key, value) in policy.Prepend(("JudgmentInterval", "00:00:02")).Append(("Guardrails:MaxLatencyRatio", "20")))
                settings[$"Bus:Lifecycle:Rollout:Models:{model}:{key}"] = value;
        }

        return settings;
    }

    /// <summary>The trained model behind <see cref="LiveFault"/>'s guard: the identity on the set's pixels (0-16), NaN past exp's float range.</summary>
    async Task<JsonNode> LiveFaultAsync(JsonNode trained)
    {
        using var s3 = S3ArtifactStore.CreateClient(EmulatorClients.Credentials, Region, emulator.ServiceUrl);
        var (bucket, key) = S3ArtifactStore.Parse(trained["artifactUri"]!.ToString());
        var folder = key[..(key.LastIndexOf('/') + 1)];
        var json = LiveFault.Wrap(await Read(s3, bucket, key));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(json);
        var target = folder.Replace("/trained/", "/live-fault/", StringComparison.Ordinal);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = target + "model.json", InputStream = new MemoryStream(json) });
        foreach (var path in LiveFault.ShardPaths(json))
        {
            var shard = await Read(s3, bucket, folder + path);
            sha.AppendData(shard);
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = target + path, InputStream = new MemoryStream(shard) });
        }

        var announced = trained.DeepClone();
        announced["artifactUri"] = $"s3://{bucket}/{target}model.json";
        announced["artifactSha256"] = Convert.ToHexStringLower(sha.GetHashAndReset());
        return announced;
    }

    static async Task<byte[]> Read(Amazon.S3.IAmazonS3 s3, string bucket, string key)
    {
        using var response = await s3.GetObjectAsync(bucket, key);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy);
        return copy.ToArray();
    }

    static float[] Pixels(int value) => Enumerable.Repeat((float)value, 64).ToArray();

    sealed record Answer(HttpStatusCode Status, string Version, string Body)
    {
        public JsonNode? Prediction => Status == HttpStatusCode.OK ? JsonNode.Parse(Body)!["predictions"]![0] : null;
    }

    static async Task<Answer> Call(HttpClient http, HostProcess replica, string caller, float[] pixels, string model = "digits")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(replica.Url, $"/models/{model}/predict"))
        {
            Content = JsonContent.Create(new { instances = new[] { pixels } }),
        };
        request.Headers.Add("Bus-Route-Key", caller);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var version = response.IsSuccessStatusCode ? JsonNode.Parse(body)!["modelVersion"]!.ToString() : "";
        return new Answer(response.StatusCode, version, body);
    }

    static async Task<bool> Routes(HttpClient http, HostProcess replica) =>
        (await http.GetFromJsonAsync<JsonArray>(new Uri(replica.Url, "/models")))!.Any(m => m!["candidate"] is JsonObject);

    static async Task<HttpStatusCode> Post(HttpClient http, HostProcess host, string path) =>
        (await http.PostAsJsonAsync(new Uri(host.Url, path), new { reason = "measuring the split" })).StatusCode;

    static async Task<JsonObject> Status(HostProcess host, string version, string model = "digits")
    {
        using var http = new HttpClient();
        return (await http.GetFromJsonAsync<JsonObject>(new Uri(host.Url, $"/lifecycle/{model}/{version}")))!;
    }

    static async Task<string?> StateOf(HostProcess host, string version, string model = "digits")
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(host.Url, $"/lifecycle/{model}/{version}"));
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["state"]!.ToString() : null;
    }

    static async Task<List<string>> Timeline(HostProcess host, string version, string model = "digits") =>
        (await Status(host, version, model))["history"]!.AsArray().Select(r => r!["detail"]?.ToString() ?? "").ToList();

    static Task WaitForState(HostedPipeline pipeline, HostProcess host, string version, string state, string what, string model = "digits") =>
        pipeline.WaitFor(async () => await StateOf(host, version, model) == state, what, TimeSpan.FromMinutes(3), () => host.Log);
}
