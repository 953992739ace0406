using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bus.Host;

/// <summary>
/// What readiness logs, instead of the health service's own line per check (which logs a host that is still starting,
/// its bus not yet started, as a failure at every poll). Until the host has been ready once, a check that is not healthy
/// is start-up: logged at Information (Warning once starting has taken two minutes). Once it has been ready, a check
/// that turns unhealthy is a failure (Error) and a degraded one a Warning, each logged when its status changes.
/// </summary>
sealed class ReadinessLog(ILogger<ReadinessLog> logger)
{
    static readonly TimeSpan SlowStart = TimeSpan.FromMinutes(2);
    readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    readonly Dictionary<string, HealthStatus> _last = new(StringComparer.Ordinal);
    readonly Lock _gate = new();
    bool _readyOnce;

    public void Observe(HealthReport report)
    {
        lock (_gate)
        {
            foreach (var (name, entry) in report.Entries)
            {
                var changed = !_last.TryGetValue(name, out var before) || before != entry.Status;
                _last[name] = entry.Status;
                if (!changed || entry.Status == HealthStatus.Healthy)
                    continue;
                var level = !_readyOnce
                    ? DateTimeOffset.UtcNow - _started > SlowStart ? LogLevel.Warning : LogLevel.Information
                    : entry.Status == HealthStatus.Unhealthy ? LogLevel.Error : LogLevel.Warning;
#pragma warning disable CA2254 // one message template whatever the level
                logger.Log(level, "Readiness check {Check} is {Status}: {Description}", name, entry.Status, entry.Description);
#pragma warning restore CA2254
            }

            _readyOnce |= report.Status == HealthStatus.Healthy;
        }
    }
}
