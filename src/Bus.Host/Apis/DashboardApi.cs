using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Bus.Persistence;
using Bus.Pipeline;
using Bus.Stages;
using Bus.Transport.AmazonSqs;
using Microsoft.Extensions.Options;

namespace Bus.Host.Apis;

/// <summary>
/// /dashboard on hosts that run the lifecycle: a page (static files embedded in the host, no build step) and its API:
/// <c>GET /dashboard/api/snapshot</c> (every model name with its champion, every recent version with its state, metrics,
/// the thresholds of its policy, the champion it was compared with, its timeline with actors and trace ids, and the
/// queues this host samples) and <c>GET /dashboard/api/events</c> (server-sent events: a new snapshot whenever a version
/// changes). Behind the operator policy where authentication is configured; otherwise for callers on this machine only.
/// </summary>
static class DashboardApi
{
    const int MaxVersions = 500;
    static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    static readonly TimeSpan CommitGrace = TimeSpan.FromMilliseconds(50);
    static readonly Dictionary<string, string> Files = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["dashboard.js"] = "text/javascript; charset=utf-8",
        ["dashboard.css"] = "text/css; charset=utf-8",
    };

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        var dashboard = app.MapGroup("/dashboard").RequireAuthorization(SecurityExtensions.DashboardPolicy);
        dashboard.MapGet("/", () => File("index.html"));
        dashboard.MapGet("/{file}", (string file) => File(file));
        dashboard.MapGet("/api/snapshot", async (SagaStore<ModelLifecycleState> store, IOptions<ModelLifecycleOptions> options,
            IOptions<ObservabilityOptions> observability, PipelineQueueWatch watch, CancellationToken cancellationToken) =>
            TypedResults.Json((await SnapshotAsync(store, options.Value, observability.Value.TraceUrl, watch, cancellationToken)).Snapshot, Json));
        dashboard.MapGet("/api/events", (SagaStore<ModelLifecycleState> store, IOptions<ModelLifecycleOptions> options,
            IOptions<ObservabilityOptions> observability, PipelineQueueWatch watch, CancellationToken cancellationToken) =>
            TypedResults.ServerSentEvents(Changes(store, options.Value, observability.Value.TraceUrl, watch, cancellationToken)));
        return app;
    }

    static IResult File(string name)
    {
        if (!Files.TryGetValue(name, out var contentType))
            return Results.NotFound();
        var stream = typeof(DashboardApi).Assembly.GetManifestResourceStream($"Bus.Host.Dashboard.{name}");
        return stream is null ? Results.NotFound() : Results.Stream(stream, contentType);
    }

    /// <summary>A snapshot at once, then one whenever a version changes (polling the pipeline database), until the page goes.</summary>
    static async IAsyncEnumerable<SseItem<string>> Changes(SagaStore<ModelLifecycleState> store, ModelLifecycleOptions options,
        string? traceUrl, PipelineQueueWatch watch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? last = null;
        // Woken when this host's saga writes a version (and a moment later, for its commit), else once a second.
        using var wake = new SemaphoreSlim(0);
        void Changed()
        {
            if (wake.CurrentCount == 0)
                wake.Release();
        }

        store.Changed += Changed;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                (DashboardSnapshot Snapshot, string Token) current;
                try
                {
                    current = await SnapshotAsync(store, options, traceUrl, watch, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }

                if (current.Token != last)
                {
                    last = current.Token;
                    yield return new SseItem<string>(JsonSerializer.Serialize(current.Snapshot, Json), "snapshot");
                }

                try
                {
                    if (await wake.WaitAsync(PollInterval, cancellationToken))
                        await Task.Delay(CommitGrace, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
            }
        }
        finally
        {
            store.Changed -= Changed;
        }
    }

    static async Task<(DashboardSnapshot Snapshot, string Token)> SnapshotAsync(SagaStore<ModelLifecycleState> store, ModelLifecycleOptions options,
        string? traceUrl, PipelineQueueWatch watch, CancellationToken cancellationToken)
    {
        var (versions, token) = await store.RecentAsync(MaxVersions, cancellationToken);
        var queues = TransportMetrics.Snapshot();
        IReadOnlyList<WatchedQueue> pipeline;
        try
        {
            pipeline = await watch.SampleAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is Amazon.Runtime.AmazonServiceException or HttpRequestException)
        {
            pipeline = [];
        }

        var snapshot = new DashboardSnapshot(DateTimeOffset.UtcNow, traceUrl,
            versions.GroupBy(v => v.ModelName).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
            {
                var rule = options.Promotion.Models.GetValueOrDefault(g.Key) ?? options.Promotion.Default;
                return new DashboardSnapshot.Model(g.Key, g.FirstOrDefault(v => v.CurrentState == LifecycleStates.Deployed)?.ModelVersion, rule.Metrics,
                    rule.RequireApproval, g.OrderByDescending(v => v.CreatedAt).Select(v => new DashboardSnapshot.ModelVersion(v.ModelVersion,
                        v.CurrentState, v.Reason, v.Metrics, v.ConfusionMatrix, v.ChampionAtEvaluation, v.Producer, v.Artifact?.Uri, v.CreatedAt, v.UpdatedAt,
                        v.AliasRevision, v.History, v.Rollout is { Step: > 0 } r
                            ? new DashboardSnapshot.Rollout(r.Mode, r.Steps, r.Step, r.TrafficPercent, r.Paused, r.LastJudgment, r.History)
                            : null)).ToList());
            }).ToList(),
            queues.Select(q => new DashboardSnapshot.Queue(q.Queue, q.Visible, q.InFlight, q.Delayed, q.OldestAgeSeconds)).ToList(),
            pipeline.GroupBy(q => q.Of).Select(g => new DashboardSnapshot.PipelineQueue(g.Key,
                g.FirstOrDefault(q => q.Kind == "queue")?.Depth,
                g.FirstOrDefault(q => q.Kind == "error")?.Depth,
                g.FirstOrDefault(q => q.Kind == "skipped")?.Depth,
                g.FirstOrDefault(q => q.Kind == "dlq")?.Depth)).ToList());
        return (snapshot, token + "|" + string.Join(",", queues.Select(q => $"{q.Queue}:{q.Visible}:{q.InFlight}"))
            + "|" + string.Join(",", pipeline.Select(q => $"{q.Queue}:{q.Depth}")));
    }
}
