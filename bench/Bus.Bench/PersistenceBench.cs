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
    public static async Task<int> RunAsync(string[] args)
    {
        var versions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        await using var postgres = await PostgresCluster.StartAsync();
        var sqlite = $"Data Source={Path.Combine(Path.GetTempPath(), "bus-bench-" + Guid.NewGuid().ToString("N"), "bus.db")}";

        var sqliteOutbox = $"Data Source={Path.Combine(Path.GetTempPath(), "bus-bench-" + Guid.NewGuid().ToString("N"), "bus.db")}";

        await Round("warm-up", null, 50, outbox: false);
        var memory = await Round("in-memory", null, versions, outbox: false);
        var lite = await Round("sqlite", sqlite, versions, outbox: false);
        var pg = await Round("postgresql", postgres.ConnectionString, versions, outbox: false);
        var liteOutbox = await Round("sqlite_outbox", sqliteOutbox, versions, outbox: true);
        var pgOutbox = await Round("postgresql_outbox", postgres.ConnectionString, versions, outbox: true);

        // Unloaded latency: one version at a time, so the figure is the path itself rather than queueing behind a burst.
        var quietMemory = await Round("quiet_in-memory", null, 100, outbox: false, oneAtATime: true);
        var quietLite = await Round("quiet_sqlite_outbox", sqliteOutbox, 100, outbox: true, oneAtATime: true);
        var quietPg = await Round("quiet_postgresql_outbox", postgres.ConnectionString, 100, outbox: true, oneAtATime: true);

        Console.WriteLine($"{versions} model versions at once, 2 transitions each (Evaluating, then Rejected), {Environment.ProcessorCount} cores, in-memory " +
            "transport");
        Console.WriteLine("| repository | transitions/s | vs in-memory | publish→consume p50 | p99 |");
        Console.WriteLine("|---|---|---|---|---|");
        Row("in-memory (MassTransit in-memory outbox)", memory, memory);
        Row("SQLite (file, WAL)", lite, memory);
        Row("PostgreSQL 15 (local)", pg, memory);
        Row("SQLite + inbox/outbox", liteOutbox, memory);
        Row("PostgreSQL 15 + inbox/outbox", pgOutbox, memory);
        Console.WriteLine();
        Console.WriteLine("100 model versions one at a time: the saga's ModelRejected, from its publish inside the saga to the downstream consumer");
        Console.WriteLine("| path | p50 | p99 |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| MassTransit in-memory outbox (baseline) | {quietMemory.P50:F1} ms | {quietMemory.P99:F1} ms |");
        Console.WriteLine($"| SQLite inbox/outbox + delivery service | {quietLite.P50:F1} ms | {quietLite.P99:F1} ms |");
        Console.WriteLine($"| PostgreSQL inbox/outbox + delivery service | {quietPg.P50:F1} ms | {quietPg.P99:F1} ms |");
        return 0;
    }

    static void Row(string name, (double Rate, double P50, double P99) r, (double Rate, double P50, double P99) baseline) =>
        Console.WriteLine($"| {name} | {r.Rate:F0} | {r.Rate / baseline.Rate:F2} | {r.P50:F1} ms | {r.P99:F1} ms |");

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
        // The delivery service is a hosted service; without a generic host the benchmark runs it itself.
        var delivery = outbox ? provider.GetRequiredService<Microsoft.Extensions.Hosting.IHostedService>() : null;
        if (delivery is not null)
            await delivery.StartAsync(default);
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
        done.Wait(TimeSpan.FromMinutes(5));
        var rate = versions * 2 / sw.Elapsed.TotalSeconds;
        if (delivery is not null)
            await delivery.StopAsync(default);
        await bus.StopAsync();
        var latencies = provider.GetRequiredService<LatencyLog>().Sorted();
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
