using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bus.Pipeline;
using Bus.Tooling;

namespace Bus.Cli;

/// <summary>
/// `bus demo`: everything on 127.0.0.1, set up and cleaned up by itself. Exits 0 only if the good model is
/// deployed and answers a prediction and the weak model is rejected.
/// </summary>
static class DemoCommand
{
    public static Command Create()
    {
        var epochs = CliOptions.WholeNumber("--epochs", "n", "how long TensorFlow.js trains the good model", minimum: 1, defaultValue: () => 15);
        var command = new Command("demo", "start the emulator and two consumer hosts on 127.0.0.1, train a model with TensorFlow.js, follow it " +
            "through evaluation and deployment, ask the inference endpoint for a prediction, then show a deliberately weak model being rejected; " +
            "cleans up after itself") { epochs };
        command.SetAction((result, cancellationToken) =>
            RunAsync(result.GetValue(epochs).ToString(CultureInfo.InvariantCulture), cancellationToken));
        return command;
    }

    static async Task<int> RunAsync(string epochs, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancel.CancelAfter(TimeSpan.FromMinutes(15));
        var scope = "demo" + Guid.NewGuid().ToString("N")[..6];
        var data = Directory.CreateTempSubdirectory("bus-demo-").FullName;
        EmulatorProcess? emulator = null;
        var hosts = new List<HostProcess>();
        try
        {
            Step("installing the Node tooling (first run only)");
            await NodeTools.EnsureInstalledAsync(cancel.Token);

            Step("starting the SNS/SQS/S3 emulator on 127.0.0.1");
            emulator = await EmulatorProcess.StartAsync(cancellationToken: cancel.Token);
            Info($"emulator {emulator.ServiceUrl} (pid {emulator.Pid})");

            var settings = new Dictionary<string, string>
            {
                ["Bus:Aws:ServiceUrl"] = emulator.ServiceUrl.ToString(),
                ["Bus:Aws:Scope"] = scope,
                ["Bus:Host:DataDirectory"] = data,
                ["Bus:Lifecycle:EvaluationTimeout"] = "00:05:00",
                ["Bus:Tagging:Datasets:digits"] = $"s3://{scope}-bus-datasets/digits/validation.json",
                // The operator, not the training job, decides what "better" means: digits is graded on this set.
                ["Bus:Evaluation:Models:digits:ValidationSetUri"] = $"s3://{scope}-bus-evaluation/digits/validation.json",
            };
            // A short canary for the demo (production would bake for minutes on hundreds of requests): 25 %, then 50 % of the
            // callers, judged every 2 s, one failed judgment ends it. Latency is left to a generous bound: on a shared 2-core
            // machine any p99 of sub-millisecond runs can jump.
            foreach (var (key, value) in new Dictionary<string, string>
            {
                ["Mode"] = "Canary",
                ["Steps:0"] = "25",
                ["Steps:1"] = "50",
                ["BakeTime"] = "00:00:04",
                ["JudgmentInterval"] = "00:00:02",
                ["MinRequests"] = "20",
                ["FailureLimit"] = "1",
                ["AgreementSample"] = "0.2",
                ["Guardrails:MaxLatencyRatio"] = "20",
            })
                settings[$"Bus:Lifecycle:Rollout:Models:digits:{key}"] = value;
            Step("as the operator: publishing digits' governed evaluation set (training jobs cannot choose what they are graded on)");
            await NodeScript.RunAsync("train.mjs", "--endpoint", emulator.ServiceUrl.ToString().TrimEnd('/'), "--quiet",
                "--evaluation-set", settings["Bus:Evaluation:Models:digits:ValidationSetUri"]);
            Step("starting the consumer hosts (topics, queues and subscriptions are created as they start)");
            hosts.Add(await HostProcess.StartAsync("pipeline-host", ["lifecycle", "evaluation", "tagging"], settings, cancel.Token));
            hosts.Add(await HostProcess.StartAsync("serving-host", ["deployment"], settings, cancel.Token));
            foreach (var h in hosts)
                Info($"{h.Name} {h.Url} (pid {h.Pid})");
            var pipeline = hosts[0];
            var serving = hosts[1];
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };

            Step($"training digits v1 with TensorFlow.js ({epochs} epochs) and announcing it on training-complete");
            var v1 = await Train(emulator, scope, "1", epochs, weak: false, cancel.Token);
            Info($"artifact {v1["artifactUri"]} sha256 {v1["artifactSha256"]?.ToString()[..16]}…, validation accuracy " +
                $"{Number(v1["trainingMetrics"]?["valAccuracy"])}");
            var good = await Follow(http, pipeline, "digits", "1", LifecycleStates.Deployed, cancel.Token);

            var prediction = await Predict(http, serving, v1["out"]!.ToString(), cancel.Token);

            Step("training a deliberately weak digits v2 and announcing it");
            await Train(emulator, scope, "2", epochs, weak: true, cancel.Token);
            var weak = await Follow(http, pipeline, "digits", "2", LifecycleStates.Rejected, cancel.Token);

            var live = new DemoTraffic(http, serving, v1["out"]!.ToString());
            Step("digits 3 (v1's artifact again) rolls out as a canary: 25 %, then 50 % of the callers, judged on live traffic against the champion " +
                "while clients call and send back true labels");
            await Announce(emulator, scope, "3", v1, cancel.Token);
            var promoted = await live.WhileAsync(() => Follow(http, pipeline, "digits", "3", LifecycleStates.Deployed, cancel.Token), faulty: false,
                cancel.Token);

            Step("digits 4 passes the governed set but answers NaN when a pixel is out of range, as live inputs sometimes are: it rolls out, fails " +
                "its first judgment and is taken out by itself while the champion keeps serving");
            await Announce(emulator, scope, "4", await LiveFaultAsync(emulator, scope, v1, cancel.Token), cancel.Token);
            var rolledBack = await live.WhileAsync(() => Follow(http, pipeline, "digits", "4", LifecycleStates.Failed, cancel.Token), faulty: true,
                cancel.Token);
            Info($"clients: {live.Answered} answered, {live.Failed} failed (all of them digits 4's, within its share of the callers)");

            Step("timelines");
            PrintTimeline("digits 1", good);
            PrintTimeline("digits 2", weak);
            PrintTimeline("digits 3", promoted);
            PrintTimeline("digits 4", rolledBack);

            var ok = good?["state"]?.ToString() == LifecycleStates.Deployed && prediction && weak?["state"]?.ToString() == LifecycleStates.Rejected
                && promoted?["state"]?.ToString() == LifecycleStates.Deployed && rolledBack?["state"]?.ToString() == LifecycleStates.Failed
                && rolledBack?["reason"]?.ToString().StartsWith("rollout failed", StringComparison.Ordinal) == true;
            Console.WriteLine();
            Console.WriteLine(ok ? "demo: OK: v1 deployed and serving, v2 rejected with its reason, v3 promoted through its canary, v4 rolled back " +
                "automatically on live traffic" : "demo: FAILED (see above)");
            if (!ok)
                foreach (var h in hosts)
                    Console.Error.WriteLine($"--- {h.Name} log ---\n{h.Log}");
            return ok ? 0 : 1;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"demo: FAILED: {ex.Message}");
            foreach (var h in hosts)
                Console.Error.WriteLine($"--- {h.Name} log ---\n{h.Log}");
            return 1;
        }
        finally
        {
            Step("cleaning up (hosts and emulator stopped by PID)");
            foreach (var h in hosts)
                await h.DisposeAsync();
            if (emulator is not null)
                await emulator.DisposeAsync();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    static async Task<JsonNode> Train(EmulatorProcess emulator, string scope, string version, string epochs, bool weak, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--endpoint", emulator.ServiceUrl.ToString().TrimEnd('/'), "--scope", scope, "--model", "digits", "--version",
            version, "--epochs", epochs, "--quiet" };
        if (weak)
            arguments.Add("--weak");
        var output = await NodeScript.RunAsync("train.mjs", [.. arguments]);
        cancellationToken.ThrowIfCancellationRequested();
        return JsonNode.Parse(output.Trim().Split('\n')[^1]) ?? throw new InvalidOperationException("the training job printed nothing");
    }

    /// <summary>Announces <paramref name="version"/> with an artifact already uploaded, as a training job does (plain JSON on SNS).</summary>
    static async Task Announce(EmulatorProcess emulator, string scope, string version, JsonNode trained, CancellationToken cancellationToken)
    {
        var settings = new Transport.AmazonSqs.AmazonSqsHostSettings
        {
            Region = "us-east-1",
            ServiceUrl = emulator.ServiceUrl,
            Scope = scope,
            Credentials = EmulatorClients.Credentials,
            CreateEntities = true,
        };
        await using var client = new Transport.AmazonSqs.Transport.SqsEntityClient(settings);
        var topic = Transport.AmazonSqs.EntityNames.Topic(Contracts.StageAttribute.TopicNameOf(typeof(Contracts.TrainingCompleted))!, scope);
        var announcement = new JsonObject
        {
            ["modelName"] = "digits",
            ["modelVersion"] = version,
            ["artifactUri"] = trained["artifactUri"]!.ToString(),
            ["artifactFormat"] = "tfjs-layers",
            ["artifactSha256"] = trained["artifactSha256"]!.ToString(),
            ["producer"] = "demo-trainer",
        };
        await client.PublishAsync(topic, announcement.ToJsonString(), new Dictionary<string, Transport.AmazonSqs.Sns.SnsAttribute>(), null, null,
            cancellationToken);
    }

    /// <summary>v1's model behind <see cref="LiveFault"/>'s guard, uploaded beside it as digits/4: its artifact URI and sha256.</summary>
    static async Task<JsonNode> LiveFaultAsync(EmulatorProcess emulator, string scope, JsonNode v1, CancellationToken cancellationToken)
    {
        var folder = v1["out"]!.ToString();
        var modelJson = LiveFault.Wrap(await File.ReadAllBytesAsync(Path.Combine(folder, "model.json"), cancellationToken));
        using var s3 = Ml.S3ArtifactStore.CreateClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var bucket = $"{scope}-bus-models";
        foreach (var (name, bytes) in LiveFault.ShardPaths(modelJson).Select(p => (p, File.ReadAllBytes(Path.Combine(folder, p)))).Prepend(("model.json",
            modelJson)))
        {
            sha.AppendData(bytes);
            var put = new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = $"digits/4/{name}", InputStream = new MemoryStream(bytes) };
            await s3.PutObjectAsync(put, cancellationToken);
        }

        return new JsonObject { ["artifactUri"] = $"s3://{bucket}/digits/4/model.json", ["artifactSha256"] = Convert.ToHexStringLower(sha.GetHashAndReset()) };
    }

    /// <summary>Polls the lifecycle saga (through the pipeline host) and prints each new transition until the expected state.</summary>
    static async Task<JsonNode?> Follow(HttpClient http, HostProcess pipeline, string model, string version, string expected,
        CancellationToken cancellationToken)
    {
        Step($"following {model} {version} through the pipeline");
        var shown = 0;
        JsonNode? last = null;
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < until)
        {
            var response = await http.GetAsync(new Uri(pipeline.Url, $"/lifecycle/{model}/{version}"), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                last = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                var history = last?["history"]?.AsArray() ?? [];
                for (; shown < history.Count; shown++)
                {
                    var h = history[shown]!;
                    Info($"{h["state"],-10} {Time(h["at"])}  by {h["actor"]}{(h["detail"] is { } d ? $": {d}" : string.Empty)}");
                }

                var state = last?["state"]?.ToString();
                if (state == expected)
                    return last;
                if (state is not null && LifecycleStates.Final.Contains(state) && state != expected)
                {
                    Info($"{model} {version} ended {state}: {last?["reason"]}");
                    return last;
                }
            }

            await Task.Delay(500, cancellationToken);
        }

        Info($"{model} {version} did not reach {expected} in 4 minutes (last: {last?["state"]})");
        return last;
    }

    static async Task<bool> Predict(HttpClient http, HostProcess serving, string trainingOutput, CancellationToken cancellationToken)
    {
        Step("asking the inference endpoint for predictions on validation samples");
        var validation = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(trainingOutput, "validation.json"), cancellationToken))!;
        var samples = Enumerable.Range(0, 5).Select(i => validation["features"]![i]!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToArray();
        var labels = Enumerable.Range(0, 5).Select(i => validation["labels"]![i]!.GetValue<int>()).ToArray();
        var response = await http.PostAsJsonAsync(new Uri(serving.Url, "/models/digits/predict"), new { instances = samples }, CliJson.Compact,
            cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            Info($"prediction failed: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            return false;
        }

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!;
        var predictions = body["predictions"]!.AsArray();
        Info($"POST {serving.Url}models/digits/predict → served by {body["modelName"]} {body["modelVersion"]} (alias revision {body["aliasRevision"]})");
        for (var i = 0; i < predictions.Count; i++)
        {
            var label = predictions[i]!["label"]!.GetValue<int>();
            var confidence = predictions[i]!["probabilities"]![label]!.GetValue<float>();
            Info($"sample {i}: predicted {label} ({confidence:P1}), true label {labels[i]}");
        }

        return predictions.Count == samples.Length;
    }

    static void PrintTimeline(string title, JsonNode? status)
    {
        Console.WriteLine($"  {title}: {status?["state"]}{(status?["reason"] is { } r ? $" ({r})" : string.Empty)}");
        foreach (var h in status?["history"]?.AsArray() ?? [])
            Console.WriteLine($"    {Time(h!["at"])}  {h["state"],-10} {h["event"],-20} host {h["host"]}, by {h["actor"]}");
    }

    static string Time(JsonNode? at) =>
        DateTimeOffset.TryParse(at?.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t.ToLocalTime().ToString("HH:mm:ss.fff",
            CultureInfo.InvariantCulture) : "?";

    static string Number(JsonNode? value) => value is null ? "?" : value.GetValue<double>().ToString("0.####", CultureInfo.InvariantCulture);

    static void Step(string text) => Console.WriteLine($"==> {text}");

    static void Info(string text) => Console.WriteLine($"    {text}");
}
