using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Bus.Bench;
using Bus.Tooling;
using Bus.Transport.AmazonSqs;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

// bench transport [messages] [idle-seconds] [--runs N]: raw AWSSDK.SQS against Bus (SNS publish → SQS → MassTransit
// consumer), alternating N times (3 unless given) on one emulator with the same concurrency; then the idle cost of one endpoint.
// bench ml [samples] [seconds] [--runs N]: the evaluation path against a bare ONNX Runtime loop, and the inference endpoint.
// bench persistence [versions] [--runs N]: the saga on each store, with and without the inbox/outbox.
// bench audit [rows] [--runs N]: verifying the audit log's hash chain against only reading it, on each store.
// bench formats [samples] [--runs N]: converting .keras and .h5 against model.json; evaluating on TFRecords streamed
// against JSON in memory, with each one's peak memory.
// Every figure is printed as the median of the runs with the spread (lowest–highest), as README quotes it.
var (runs, rest) = Runs.Parse(args);
if (rest.FirstOrDefault() == "ml")
    return await MlBench.RunAsync(rest.Skip(1).ToArray(), runs);
if (rest.FirstOrDefault() == "persistence")
    return await PersistenceBench.RunAsync(rest.Skip(1).ToArray(), runs);
if (rest.FirstOrDefault() == "formats")
    return await FormatsBench.RunAsync(rest.Skip(1).ToArray(), runs);
if (rest.FirstOrDefault() == "audit")
    return await AuditBench.RunAsync(rest.Skip(1).ToArray(), runs);
if (rest.FirstOrDefault() == "transport")
    rest = rest.Skip(1).ToArray();
var count = rest.Length > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 4000;
var idleSeconds = rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 30;
const int Concurrency = 8;

await using var emulator = await EmulatorProcess.StartAsync();
Console.WriteLine($"emulator {emulator.ServiceUrl} (pid {emulator.Pid}); {count} messages, concurrency {Concurrency}, {runs} runs, " +
    $"{Environment.ProcessorCount} cores");

using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
var bus = await BusBench.Start(emulator.ServiceUrl);
await RawRound(sqs, "warmup-raw", 500);
await bus.Round(500);
// Alternate the two paths so that drift on a shared machine hits both, and compare each run's pair.
Runs raw = new(), transport = new();
for (var run = 0; run < runs; run++)
{
    raw.Add(await RawRound(sqs, $"bench-raw-{run}", count));
    transport.Add(await bus.Round(count));
    Console.WriteLine($"  run {run + 1}: raw {raw.Last:F0}/s, Bus {transport.Last:F0}/s");
}

await bus.DisposeAsync();

var idle = await BusBench.IdleRequestsPerMinute(emulator.ServiceUrl, idleSeconds);

Console.WriteLine();
Console.WriteLine($"| path (median of {runs} runs, lowest–highest) | messages/s |");
Console.WriteLine("|---|---|");
Console.WriteLine($"| raw AWSSDK.SQS: batched send (10) + receive/delete, {Concurrency} tasks | {raw} |");
Console.WriteLine($"| Bus: publish (SNS) → SQS → consumer, {Concurrency} publishers | {transport} |");
Console.WriteLine($"| ratio Bus/raw (per run) | {Runs.Ratio(transport, raw).ToString("F2")} |");
Console.WriteLine($"idle ReceiveMessage requests per minute per endpoint: {idle:F1} (long polling 20 s, {idleSeconds} s window)");
return 0;

static async Task<double> RawRound(IAmazonSQS sqs, string name, int count)
{
    var url = (await sqs.CreateQueueAsync(name)).QueueUrl;
    var received = 0;
    var stopwatch = Stopwatch.StartNew();
    var senders = Enumerable.Range(0, Concurrency).Select(async worker =>
    {
        for (var i = worker * 10; i < count; i += Concurrency * 10)
        {
            var entries = Enumerable.Range(i, Math.Min(10, count - i))
                .Select(n => new SendMessageBatchRequestEntry(n.ToString(CultureInfo.InvariantCulture), $"{{\"n\":{n}}}")).ToList();
            await sqs.SendMessageBatchAsync(url, entries);
        }
    });
    var receivers = Enumerable.Range(0, Concurrency).Select(async _ =>
    {
        while (Volatile.Read(ref received) < count)
        {
            var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = url,
                MaxNumberOfMessages = 10,
                WaitTimeSeconds = 1,
                MessageAttributeNames = ["All"]
            });
            var messages = response.Messages ?? [];
            if (messages.Count == 0)
                continue;
            await sqs.DeleteMessageBatchAsync(url, messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture),
                m.ReceiptHandle)).ToList());
            Interlocked.Add(ref received, messages.Count);
        }
    });
    await Task.WhenAll(senders);
    var sendSeconds = stopwatch.Elapsed.TotalSeconds;
    await Task.WhenAll(receivers);
    Console.WriteLine($"  raw {name}: all sent after {sendSeconds:F2} s ({count / sendSeconds:F0}/s), all received and deleted after " +
        $"{stopwatch.Elapsed.TotalSeconds:F2} s");
    return count / stopwatch.Elapsed.TotalSeconds;
}

namespace Bus.Bench
{
    public sealed record BenchPing(int N);
}

public sealed class Counter
{
    int _count;
    TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _target;

    public void Reset(int target)
    {
        _count = 0;
        _target = target;
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Hit()
    {
        if (Interlocked.Increment(ref _count) == _target)
            _done.TrySetResult();
    }

    public Task Done => _done.Task;
}

public sealed class BenchConsumer(Counter counter) : IConsumer<BenchPing>
{
    public Task Consume(ConsumeContext<BenchPing> context)
    {
        counter.Hit();
        return Task.CompletedTask;
    }
}

sealed class BusBench : IAsyncDisposable
{
    readonly ServiceProvider _provider;
    readonly IBusControl _bus;
    readonly Counter _counter;

    BusBench(ServiceProvider provider)
    {
        _provider = provider;
        _bus = provider.GetRequiredService<IBusControl>();
        _counter = provider.GetRequiredService<Counter>();
    }

    public static async Task<BusBench> Start(Uri serviceUrl, bool consumer = true)
    {
        var services = new ServiceCollection();
        services.AddSingleton<Counter>();
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            if (consumer)
                x.AddConsumer<BenchConsumer>().Endpoint(e => { e.Name = "bench"; e.PrefetchCount = 80; e.ConcurrentMessageLimit = 80; });
            x.UsingAmazonSqs((context, cfg) =>
            {
                cfg.Host(h =>
                {
                    h.ServiceUrl = serviceUrl;
                    h.Credentials = EmulatorClients.Credentials;
                    h.Scope = "bench" + Guid.NewGuid().ToString("N")[..6];
                });
                cfg.ConfigureEndpoints(context);
            });
        });
        var provider = services.BuildServiceProvider();
        var bench = new BusBench(provider);
        await bench._bus.StartAsync();
        return bench;
    }

    public async Task<double> Round(int count)
    {
        _counter.Reset(count);
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async worker =>
        {
            for (var i = worker; i < count; i += Concurrency)
                await _bus.Publish(new BenchPing(i));
        }));
        await _counter.Done.WaitAsync(TimeSpan.FromMinutes(5));
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    const int Concurrency = 8;

    public static async Task<double> IdleRequestsPerMinute(Uri serviceUrl, int seconds)
    {
        long requests = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TransportMetrics.MeterName && instrument.Name == "bus.sqs.receive.requests")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref requests, value));
        listener.Start();

        await using var idle = await Start(serviceUrl, consumer: false);
        // One idle endpoint besides the bus's own response queue.
        var handle = idle._bus.ConnectReceiveEndpoint("idle", e => e.Handler<BenchPing>(_ => Task.CompletedTask));
        await handle.Ready;
        await Task.Delay(TimeSpan.FromSeconds(5));
        Interlocked.Exchange(ref requests, 0);
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        // Two endpoints are polling (the idle one and the bus endpoint): per endpoint is half.
        return Interlocked.Read(ref requests) / 2.0 * 60 / seconds;
    }

    public async ValueTask DisposeAsync()
    {
        await _bus.StopAsync();
        await _provider.DisposeAsync();
    }
}
