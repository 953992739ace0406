using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Bus.Ml;
using Bus.Ml.Data;
using Bus.Tooling;

/// <summary>
/// The file formats TensorFlow users hand over: converting the same model from .keras and .h5 against model.json,
/// and evaluating it on TFRecords streamed from disk against Bus's JSON set held in memory (same model, same
/// samples), each evaluation in a process of its own so that its peak memory is its own.
/// </summary>
static class FormatsBench
{
    const string Child = "formats-child";

    public static async Task<int> RunAsync(string[] args, int runs)
    {
        if (args.FirstOrDefault() == Child)
            return Measure(args[1], args[2], args[3]);
        var samples = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 400_000;
        var work = Directory.CreateTempSubdirectory("bus-formatsbench-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            await NodeScript.RunAsync("tabular-job.mjs", "--task", "regression", "--out", work, "--evaluation-samples",
                samples.ToString(CultureInfo.InvariantCulture));
            var tfrecord = Path.Combine(work, "evaluation.tfrecord");
            var json = Path.Combine(work, "evaluation.json");
            Console.WriteLine($"{samples:N0} samples of 8 features written by tools/tabular-job.mjs in {clock.Elapsed.TotalSeconds:F0} s: TFRecord " +
                $"{new FileInfo(tfrecord).Length / 1048576.0:F1} MiB" + (File.Exists(json) ? $", JSON {new FileInfo(json).Length / 1048576.0:F1} MiB" : ", " +
                "no JSON (over a million samples, past what the in-memory path is for)") + $"; {runs} runs, {Environment.ProcessorCount} cores");

            Conversions(work, runs);

            // Each evaluation in its own process, alternating, so that drift hits every path and each peak is its own.
            var paths = new List<(string Name, string Format, string File)> { ("model loaded, no data (baseline)", "none", "-") };
            paths.Add(("TFRecord, streamed in batches of 64", EvaluationData.TfRecord, tfrecord));
            if (File.Exists(json))
                paths.Add(("JSON, parsed whole into memory", EvaluationData.Json, json));
            var speed = paths.ToDictionary(p => p.Name, _ => new Runs());
            var memory = paths.ToDictionary(p => p.Name, _ => new Runs());
            var self = Environment.GetCommandLineArgs()[0];
            for (var run = 0; run < runs; run++)
            {
                foreach (var (name, format, file) in paths)
                {
                    var result = await Processes.RunAsync("dotnet", [self, "formats", Child, format, file, Path.Combine(work, "model.keras")],
                        TimeSpan.FromMinutes(30));
                    if (result.ExitCode != 0)
                        throw new InvalidOperationException($"{name}: {result.Error}");
                    using var figures = JsonDocument.Parse(result.Output.Trim().Split('\n')[^1]);
                    speed[name].Add(figures.RootElement.GetProperty("samplesPerSecond").GetDouble());
                    memory[name].Add(figures.RootElement.GetProperty("peakMiB").GetDouble());
                }
            }

            Console.WriteLine();
            Console.WriteLine($"| evaluation of {samples:N0} samples (median of {runs} runs, lowest–highest) | samples/s | peak memory, MiB |");
            Console.WriteLine("|---|---|---|");
            foreach (var (name, format, _) in paths)
                Console.WriteLine($"| {name} | {(format == "none" ? "–" : speed[name].ToString())} | {memory[name].ToString("F0")} |");
            if (File.Exists(json))
            {
                var streamed = paths[1].Name;
                var whole = paths[2].Name;
                Console.WriteLine($"| ratio TFRecord/JSON (per run) | {Runs.Ratio(speed[streamed], speed[whole]).ToString("F2")} | " +
                    $"{Runs.Ratio(memory[streamed], memory[whole]).ToString("F2")} |");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Conversions per second of the same model from each file, 200 at a time, the runs alternating.</summary>
    static void Conversions(string work, int runs)
    {
        var json = File.ReadAllBytes(Path.Combine(work, "model.json"));
        var keras = File.ReadAllBytes(Path.Combine(work, "model.keras"));
        var h5 = File.ReadAllBytes(Path.Combine(work, "model.h5"));
        var shard = File.ReadAllBytes(Path.Combine(work, "group1-shard1of1.bin"));
        var paths = new (string Name, Func<byte[]> Convert)[]
        {
            ("model.json + shard (tfjs-layers)", () => KerasOnnxConverter.Convert(json, _ => shard)),
            (".keras (Keras 3 zip)", () => KerasOnnxConverter.ConvertFile("keras", keras, ArtifactLimits.Default)),
            (".h5 (legacy HDF5)", () => KerasOnnxConverter.ConvertFile("keras-h5", h5, ArtifactLimits.Default)),
        };
        var figures = paths.ToDictionary(p => p.Name, _ => new Runs());
        foreach (var (_, convert) in paths)
            convert();
        for (var run = 0; run < runs; run++)
        {
            foreach (var (name, convert) in paths)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < 200; i++)
                    convert();
                figures[name].Add(200 / clock.Elapsed.TotalSeconds);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| conversion of the same MLP (8-32-16-1) (median of {runs} runs, lowest–highest) | conversions/s |");
        Console.WriteLine("|---|---|");
        foreach (var (name, _) in paths)
            Console.WriteLine($"| {name} | {figures[name]} |");
        Console.WriteLine($"| ratio .keras/model.json (per run) | {Runs.Ratio(figures[paths[1].Name], figures[paths[0].Name]).ToString("F2")} |");
        Console.WriteLine($"| ratio .h5/model.json (per run) | {Runs.Ratio(figures[paths[2].Name], figures[paths[0].Name]).ToString("F2")} |");
    }

    /// <summary>In the child: evaluates the model on one file (or on nothing), prints samples/s and the process's peak resident memory.</summary>
    static int Measure(string format, string file, string model)
    {
        using var onnx = OnnxModel.Load(KerasOnnxConverter.ConvertFile("keras", File.ReadAllBytes(model), ArtifactLimits.Default));
        var limits = new ArtifactLimits { MaxValidationSamples = int.MaxValue, MaxDataSetBytes = 64L * 1024 * 1024 * 1024 };
        double perSecond = 0;
        if (format != "none")
        {
            var clock = Stopwatch.StartNew();
            // As the evaluation stage does: JSON is read and parsed whole, the streamed formats are read batch by batch.
            using var data = EvaluationData.Open(format, file, DataFeatures.Default, limits);
            var result = Evaluator.Evaluate(onnx, data, EvaluationTask.Regression, limits: limits);
            perSecond = result.SampleCount / clock.Elapsed.TotalSeconds;
        }

        Console.WriteLine(JsonSerializer.Serialize(new { samplesPerSecond = perSecond, peakMiB = PeakResidentBytes() / 1048576.0 }));
        return 0;
    }

    /// <summary>VmHWM: the most resident memory the process has held.</summary>
    static long PeakResidentBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
