using System.Diagnostics;
using System.Globalization;
using Bus.Contracts;
using Bus.Persistence;
using Bus.Pipeline;
using Bus.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

/// <summary>Saga transitions per second on the in-memory repository, SQLite and PostgreSQL, in one run.</summary>
static class PersistenceBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var versions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        await using var postgres = await PostgresCluster.StartAsync();
        var sqlite = $"Data Source={Path.Combine(Path.GetTempPath(), "bus-bench-" + Guid.NewGuid().ToString("N"), "bus.db")}";

        await Round("warm-up", null, 50);
        var memory = await Round("in-memory", null, versions);
        var lite = await Round("sqlite", sqlite, versions);
        var pg = await Round("postgresql", postgres.ConnectionString, versions);

        Console.WriteLine($"{versions} model versions, 2 transitions each (Evaluating, then Rejected), {Environment.ProcessorCount} cores, in-memory transport");
        Console.WriteLine("| repository | transitions/s | vs in-memory |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| in-memory | {memory:F0} | 1.00 |");
        Console.WriteLine($"| SQLite (file, WAL) | {lite:F0} | {lite / memory:F2} |");
        Console.WriteLine($"| PostgreSQL 15 (local) | {pg:F0} | {pg / memory:F2} |");
        return 0;
    }

    static async Task<double> Round(string name, string? connectionString, int versions)
    {
        var services = new ServiceCollection();
        var done = new CountdownEvent(versions);
        services.AddSingleton(done);
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddDelayedMessageScheduler();
            var saga = x.AddModelLifecycleSaga();
            if (connectionString is null)
                saga.InMemoryRepository();
            else
                saga.BusRepository(connectionString, "bench_" + name.Replace('-', '_'), s => s.CurrentState, new IndexedColumn<ModelLifecycleState>("model_name", s => s.ModelName));
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
        var prefix = name + Guid.NewGuid().ToString("N")[..6];
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, versions).Select(i => bus.Publish(new TrainingCompleted
        {
            ModelName = prefix, ModelVersion = i.ToString(CultureInfo.InvariantCulture), ArtifactUri = "s3://m/x/model.json",
            ArtifactFormat = "onnx", ArtifactSha256 = new string('e', 64), ValidationSetUri = "s3://d/v.json", Producer = "bench",
        })));
        done.Wait(TimeSpan.FromMinutes(5));
        var rate = versions * 2 / sw.Elapsed.TotalSeconds;
        await bus.StopAsync();
        return rate;
    }
}

public sealed class RejectedCounter(CountdownEvent done) : IConsumer<ModelRejected>
{
    public Task Consume(ConsumeContext<ModelRejected> context)
    {
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
