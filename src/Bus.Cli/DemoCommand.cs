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

            Step("timelines");
            PrintTimeline("digits 1", good);
            PrintTimeline("digits 2", weak);

            var ok = good?["state"]?.ToString() == LifecycleStates.Deployed && prediction && weak?["state"]?.ToString() == LifecycleStates.Rejected;
            Console.WriteLine();
            Console.WriteLine(ok ? "demo: OK: v1 deployed and serving, v2 rejected with its reason" : "demo: FAILED (see above)");
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
