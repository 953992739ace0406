using Bus.Contracts;
using Bus.Ml;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bus.Stages.Serving;

/// <summary>
/// While a model has a candidate under rollout on this replica, reports the candidate's and the champion's measurements
/// every report interval (one small message per model and interval) for the lifecycle saga to judge.
/// </summary>
public sealed class ServingReporter(ModelServer server, IBus bus, StageIdentity identity, ILogger<ServingReporter> logger) : BackgroundService
{
    readonly Dictionary<string, DateTimeOffset> _since = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var route in server.Routes)
            {
                var name = route.Candidate.ModelName;
                if (!_since.TryGetValue(name, out var since))
                {
                    _since[name] = now;
                    continue;
                }

                if (now - since < route.ReportInterval || server.Champion(name) is not { } champion)
                    continue;
                _since[name] = now;
                var report = new ServingReport
                {
                    CandidateVersionId = route.Candidate.VersionId,
                    ModelName = name,
                    Replica = identity.Name,
                    WindowStart = since,
                    WindowEnd = now,
                    Candidate = server.Meter(route.Candidate.VersionId).Take(),
                    Champion = server.Meter(champion.VersionId).Take(),
                };
                try
                {
                    await bus.Publish(report, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Could not report the rollout of {ModelName} {ModelVersion}: {Reason}", name, route.Candidate.Version, ex.Message);
                }
            }

            foreach (var gone in _since.Keys.Where(n => server.RouteOf(n) is null).ToList())
                _since.Remove(gone);
        }
    }
}
