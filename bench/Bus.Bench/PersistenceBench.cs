using System.Diagnostics;
using System.Globalization;
using Bus.Contracts;
using Bus.Persistence;
using Bus.Persistence.Outbox;
using Bus.Pipeline;
using Bus.Tooling;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Saga transitions per second on the in-memory repository, SQLite and PostgreSQL, with and without the
/// transactional inbox/outbox, in one run; and the latency from a publish inside the saga to the downstream
/// consumer (through the durable outbox's commit and delivery service, or MassTransit's in-memory outbox).
/// </summary>
static class PersistenceBench
{
    public static async Task<int> RunAsync(string[] args, int runs)
    {
        var versions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        await using var postgres = await PostgresCluster.StartAsync();
        var sqlite = $"Data Source={Path.Combine(Path.GetTempPath(), "bus-bench-" + Guid.NewGuid().ToString("N"), "bus.db")}";

        var sqliteOutbox = $"Data Source={Path.Combine(Path.GetTempPath(), "bus-bench-" + Guid.NewGuid().ToString("N"), "bus.db")}";

        await Round("warm-up", null, 50, outbox: false);
        var rounds = new (string Label, string Name, string? Store, bool Outbox)[]
        {
            ("in-memory (MassTransit in-memory outbox)", "in-memory", null, false),
            ("SQLite (file, WAL)", "sqlite", sqlite, false),
            ("PostgreSQL 15 (local)", "postgresql", postgres.ConnectionString, false),
            ("SQLite + inbox/outbox", "sqlite_outbox", sqliteOutbox, true),
            ("PostgreSQL 15 + inbox/outbox", "postgresql_outbox", postgres.ConnectionString, true),
        };
        // Unloaded latency: one version at a time, so the figure is the path itself rather than queueing behind a burst.
        var quiet = new (string Label, string Name, string? Store)[]
        {
            ("MassTransit in-memory outbox (baseline)", "quiet_in-memory", null),
            ("SQLite inbox/outbox + delivery service", "quiet_sqlite_outbox", sqliteOutbox),
            ("PostgreSQL inbox/outbox + delivery service", "quiet_postgresql_outbox", postgres.ConnectionString),
        };
        var burst = rounds.Select(_ => (Rate: new Runs(), Ratio: new Runs(), P50: new Runs(), P99: new Runs())).ToArray();
        var single = quiet.Select(_ => (P50: new Runs(), P99: new Runs())).ToArray();
        for (var run = 0; run < runs; run++)
        {
            double baseline = 0;
            for (var i = 0; i < rounds.Length; i++)
            {
                var r = await Round(rounds[i].Name, rounds[i].Store, versions, rounds[i].Outbox);
                baseline = i == 0 ? r.Rate : baseline;
                burst[i].Rate.Add(r.Rate);
                burst[i].Ratio.Add(r.Rate / baseline);
                burst[i].P50.Add(r.P50);
                burst[i].P99.Add(r.P99);
            }

            for (var i = 0; i < quiet.Length; i++)
            {
                var r = await Round(quiet[i].Name, quiet[i].Store, 100, outbox: quiet[i].Store is not null, oneAtATime: true);
                single[i].P50.Add(r.P50);
                single[i].P99.Add(r.P99);
            }

            Console.WriteLine($"  run {run + 1} of {runs} done");
        }

        Console.WriteLine($"{versions} model versions at once, 2 transitions each (Evaluating, then Rejected), {Environment.ProcessorCount} cores, in-memory " +
            $"transport; median of {runs} runs (lowest–highest)");
        Console.WriteLine("| repository | transitions/s | vs in-memory | publish→consume p50 (ms) | p99 (ms) |");
        Console.WriteLine("|---|---|---|---|---|");
        for (var i = 0; i < rounds.Length; i++)
            Console.WriteLine($"| {rounds[i].Label} | {burst[i].Rate} | {burst[i].Ratio.ToString("F2")} | {burst[i].P50.ToString("F0")} | " +
                $"{burst[i].P99.ToString("F0")} |");
        Console.WriteLine();
        Console.WriteLine("100 model versions one at a time: the saga's ModelRejected, from its publish inside the saga to the downstream consumer");
        Console.WriteLine("| path | p50 (ms) | p99 (ms) |");
        Console.WriteLine("|---|---|---|");
        for (var i = 0; i < quiet.Length; i++)
            Console.WriteLine($"| {quiet[i].Label} | {single[i].P50.ToString("F1")} | {single[i].P99.ToString("F1")} |");
        return 0;
    }

    static async Task<(double Rate, double P50, double P99)> Round(string name, string? connectionString, int versions, bool outbox, bool oneAtATime = false)
    {
        var services = new ServiceCollection();
        var done = new CountdownEvent(versions);
        services.AddSingleton(done);
        services.AddSingleton(new LatencyLog());
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger<>));
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddDelayedMessageScheduler();
            if (outbox)
                x.AddBusOutbox(connectionString!, o => o.PollInterval = TimeSpan.FromMilliseconds(200));
            var saga = x.AddModelLifecycleSaga();
            if (connectionString is null)
                saga.InMemoryRepository();
            else
                saga.BusRepository(connectionString, "bench_" + name.Replace('-', '_'), s => s.CurrentState,
                    new IndexedColumn<ModelLifecycleState>("model_name", s => s.ModelName));
            x.AddConsumer<RejectedCounter>();
            x.AddConsumer<InstantEvaluator>().Endpoint(e => e.Name = "evaluate-model");
            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseDelayedMessageScheduler();
                cfg.ConfigureEndpoints(context);
            });
        });
        services.Configure<ModelLifecycleOptions>(o => o.EvaluationTimeout = TimeSpan.FromMinutes(10));
        await using var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync();
        // The outbox's delivery and cleanup are hosted services; without a generic host the benchmark runs them itself.
        var hosted = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().ToList();
        foreach (var service in hosted)
            await service.StartAsync(default);
        var prefix = name + Guid.NewGuid().ToString("N")[..6];
        var sw = Stopwatch.StartNew();
        TrainingCompleted Announcement(int i) => new()
        {
            ModelName = prefix,
            ModelVersion = i.ToString(CultureInfo.InvariantCulture),
            ArtifactUri = "s3://m/x/model.json",
            ArtifactFormat = "onnx",
            ArtifactSha256 = new string('e', 64),
            ValidationSetUri = "s3://d/v.json",
            Producer = "bench",
        };
        if (oneAtATime)
        {
            for (var i = 0; i < versions; i++)
            {
                var remaining = done.CurrentCount;
                await bus.Publish(Announcement(i));
                var until = DateTime.UtcNow.AddSeconds(30);
                while (done.CurrentCount == remaining && DateTime.UtcNow < until)
                    await Task.Delay(1);
            }
        }
        else
            await Task.WhenAll(Enumerable.Range(0, versions).Select(i => bus.Publish(Announcement(i))));
        if (!done.Wait(TimeSpan.FromMinutes(2)))
            throw new TimeoutException($"{name}: {done.CurrentCount} of {versions} versions never reached Rejected in 2 minutes");
        var rate = versions * 2 / sw.Elapsed.TotalSeconds;
        foreach (var service in hosted)
            await service.StopAsync(default);
        await bus.StopAsync();
        var latencies = provider.GetRequiredService<LatencyLog>().Sorted();
        Console.WriteLine($"  {name}: {rate:F0} transitions/s, p50 {Percentile(latencies, 0.50):F1} ms");
        return (rate, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1,
        (int)Math.Ceiling(p * sorted.Length) - 1)];
}

public sealed class LatencyLog
{
    readonly System.Collections.Concurrent.ConcurrentBag<double> _values = [];
    public void Add(double milliseconds) => _values.Add(milliseconds);
    public double[] Sorted() => [.. _values.Order()];
}

public sealed class RejectedCounter(CountdownEvent done, LatencyLog latency) : IConsumer<ModelRejected>
{
    public Task Consume(ConsumeContext<ModelRejected> context)
    {
        if (context.SentTime is { } sent)
            latency.Add((DateTime.UtcNow - sent).TotalMilliseconds);
        if (!done.IsSet)
            done.Signal();
        return Task.CompletedTask;
    }
}

/// <summary>Answers every evaluation at once, so the benchmark measures the saga and its store.</summary>
public sealed class InstantEvaluator : IConsumer<EvaluateModel>
{
    public Task Consume(ConsumeContext<EvaluateModel> context) => context.Publish(new ModelEvaluated
    {
        ModelVersionId = context.Message.ModelVersionId,
        ModelName = context.Message.ModelName,
        ModelVersion = context.Message.ModelVersion,
        Metrics = new Dictionary<string, double> { ["accuracy"] = 0.1 },
    });
}
