using Bus.Ml;
using Bus.Stages;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bus.Stages.Serving;

/// <summary>
/// Readiness of a serving host: unhealthy while it cannot load a champion the registry names (a missing or corrupt
/// artifact), with the model, the alias revision and the reason; it keeps serving what it served before.
/// </summary>
public sealed class ServingHealthCheck(ChampionFollower follower, ModelServer server) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["served"] = server.Models.Select(m => $"{m.ModelName} {m.Version} (revision {m.Revision})").ToArray(),
        };
        if (!follower.HasReadRegistry)
            return Task.FromResult(HealthCheckResult.Unhealthy("has not read the model registry yet: the champions are not loaded", data: data));
        var problems = follower.Problems;
        if (problems.Count == 0)
        {
            if (follower.Changed is not { Count: > 0 } changed)
                return Task.FromResult(HealthCheckResult.Healthy($"serving {server.Models.Count} model(s)", data));
            // Still serving from memory, so still ready; but no restart or new replica could load it.
            data["artifactChanged"] = changed.Select(c => $"{c.Alias.ModelName} {c.Alias.ModelVersion} (revision {c.Alias.Revision}): {c.Reason}").ToArray();
            return Task.FromResult(HealthCheckResult.Degraded(
                $"serving the champion {changed[0].Alias.ModelName} {changed[0].Alias.ModelVersion} from memory, but its artifact changed: " +
                changed[0].Reason +
                (changed.Count > 1 ? $" (and {changed.Count - 1} more)" : string.Empty), data: data));
        }

        data["cannotLoad"] = problems.Select(p => $"{p.Alias.ModelName} {p.Alias.ModelVersion} (revision {p.Alias.Revision}): {p.Reason}").ToArray();
        var first = problems[0];
        return Task.FromResult(HealthCheckResult.Unhealthy(
            $"cannot load the champion {first.Alias.ModelName} {first.Alias.ModelVersion} (alias revision {first.Alias.Revision}): {first.Reason}" +
            (problems.Count > 1 ? $" (and {problems.Count - 1} more)" : string.Empty), data: data));
    }
}
