using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Amazon.S3.Model;
using Bus.Ml;
using Bus.Registry;
using Bus.Tooling;

/// <summary>Evaluation throughput (consumer path vs bare ONNX Runtime) and inference endpoint requests/s.</summary>
static class MlBench
{
    public static async Task<int> RunAsync(string[] args, int runs)
    {
        var samples = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50_000;
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        var work = Directory.CreateTempSubdirectory("bus-mlbench-").FullName;
        try
        {
            var trained = Path.Combine(work, "trained");
            var announcement = await NodeScript.RunAsync("train.mjs", "--no-upload", "--quiet", "--epochs", "5", "--out", trained);
            var sha = System.Text.Json.JsonDocument.Parse(announcement.Trim().Split('\n')[^1]).RootElement.GetProperty("artifactSha256").GetString()!;
            var onnx = KerasOnnxConverter.Convert(File.ReadAllBytes(Path.Combine(trained, "model.json")), s => File.ReadAllBytes(Path.Combine(trained, s)));
            var validation = ValidationSet.Parse(File.ReadAllBytes(Path.Combine(trained, "validation.json")));
            var big = new ValidationSet(validation.InputShape, validation.Classes,
                Enumerable.Range(0, samples).Select(i => validation.Features[i % validation.Features.Length]).ToArray(),
                Enumerable.Range(0, samples).Select(i => validation.Labels[i % validation.Labels.Length]).ToArray());
            using var model = OnnxModel.Load(onnx);
            // The evaluation stage's path: the set as an EvaluationData, read in batches of 64.
            using var data = big.ToEvaluationData();

            // Warm both paths, then alternate them so drift on a shared machine hits both.
            Bare(model, big, 64);
            Evaluator.Evaluate(model, data, EvaluationTask.Multiclass);
            Runs bare = new(), path = new();
            for (var run = 0; run < runs; run++)
            {
                bare.Add(Bare(model, big, 64));
                var sw = Stopwatch.StartNew();
                Evaluator.Evaluate(model, data, EvaluationTask.Multiclass);
                path.Add(samples / sw.Elapsed.TotalSeconds);
            }

            Console.WriteLine($"samples {samples}, batch 64, {runs} runs, {Environment.ProcessorCount} cores");
            Console.WriteLine($"| path (median of {runs} runs, lowest–highest) | samples/s |");
            Console.WriteLine("|---|---|");
            Console.WriteLine($"| bare ONNX Runtime loop | {bare} |");
            Console.WriteLine($"| evaluation path (batching + metrics) | {path} |");
            Console.WriteLine($"| ratio evaluation/bare (per run) | {Runs.Ratio(path, bare).ToString("F2")} |");

            await Inference(work, trained, sha, validation, seconds, runs);
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    static double Bare(OnnxModel model, ValidationSet set, int batch)
    {
        var buffer = new float[batch * set.SampleSize];
        var sw = Stopwatch.StartNew();
        for (var start = 0; start + batch <= set.Features.Length; start += batch)
        {
            for (var i = 0; i < batch; i++)
                set.Features[start + i].CopyTo(buffer, i * set.SampleSize);
            model.Predict(buffer, batch);
        }

        return set.Features.Length / batch * batch / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Starts a serving host on the emulator with the model in its registry and loads it with 1 and 8 clients.</summary>
    static async Task Inference(string work, string trained, string sha, ValidationSet validation, int seconds, int runs)
    {
        await using var emulator = await EmulatorProcess.StartAsync();
        using var s3 = S3ArtifactStore.CreateClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
        await s3.PutBucketAsync("bench-models");
        foreach (var file in Directory.GetFiles(trained))
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "bench-models", Key = $"digits/{Path.GetFileName(file)}", FilePath = file });
        var data = Path.Combine(work, "data");
        await new ModelRegistry(Path.Combine(data, "registry.db")).PromoteAsync("digits", Guid.NewGuid(), "1",
            new ArtifactReference("s3://bench-models/digits/model.json", "tfjs-layers", sha), new Dictionary<string, double>(), "benchmark");

        var port = Processes.FreeLoopbackPort();
        var url = new Uri($"http://127.0.0.1:{port}");
        var hostDll = Processes.BuiltAssembly(Path.Combine("src", "Bus.Host"), "Bus.Host.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { hostDll, "--urls", url.ToString(), "--Bus:Host:Stages:0=deployment", $"--Bus:Aws:ServiceUrl={emulator.ServiceUrl}",
            "--Bus:Aws:Scope=bench", $"--Bus:Host:DataDirectory={data}",
            // The endpoint's own cost is measured, not the per-client rate limit (200/s by default) that a real deployment keeps.
            "--Bus:Security:Predict:RequestsPerSecond=0" })
            start.ArgumentList.Add(a);
        start.Environment["AWS_ACCESS_KEY_ID"] = "bench";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "bench";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var host = Process.Start(start)!;
        host.OutputDataReceived += (_, _) => { };
        host.ErrorDataReceived += (_, _) => { };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient();
            var body = new { instances = new[] { validation.Features[0] } };
            for (var i = 0; i < 600; i++)
            {
                try
                {
                    if ((await http.PostAsJsonAsync(new Uri(url, "/models/digits/predict"), body)).IsSuccessStatusCode)
                        break;
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(100);
            }

            using var model = OnnxModel.Load(KerasOnnxConverter.Convert(File.ReadAllBytes(Path.Combine(trained, "model.json")), s =>
                File.ReadAllBytes(Path.Combine(trained, s))));
            Runs inProcess = new(), one = new(), eight = new();
            for (var run = 0; run < runs; run++)
            {
                inProcess.Add(InProcess(model, validation, seconds));
                one.Add(await Load(http, url, body, 1, seconds));
                eight.Add(await Load(http, url, body, 8, seconds));
            }

            Console.WriteLine();
            Console.WriteLine($"| inference, batch 1, {seconds} s each (median of {runs} runs, lowest–highest) | requests/s |");
            Console.WriteLine("|---|---|");
            Console.WriteLine($"| in-process ONNX Runtime (baseline) | {inProcess} |");
            Console.WriteLine($"| POST /models/digits/predict, 1 client | {one} |");
            Console.WriteLine($"| POST /models/digits/predict, 8 clients | {eight} |");
            Console.WriteLine($"| ratio endpoint (8 clients)/in-process (per run) | {Runs.Ratio(eight, inProcess).ToString("F2")} |");
        }
        finally
        {
            await Processes.StopGracefullyAsync(host, TimeSpan.FromSeconds(20));
        }
    }

    static double InProcess(OnnxModel model, ValidationSet validation, int seconds)
    {
        var sw = Stopwatch.StartNew();
        var calls = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            model.Predict(validation.Features[calls % validation.Features.Length], 1);
            calls++;
        }

        return calls / sw.Elapsed.TotalSeconds;
    }

    static async Task<double> Load(HttpClient http, Uri url, object body, int clients, int seconds)
    {
        var count = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                using var response = await http.PostAsJsonAsync(new Uri(url, "/models/digits/predict"), body);
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref count);
            }
        }));
        return count / sw.Elapsed.TotalSeconds;
    }

}
