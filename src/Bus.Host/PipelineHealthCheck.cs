using Bus.Persistence.Outbox;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bus.Host;

/// <summary>
/// Readiness of the pipeline database: unhealthy when it cannot be reached (nothing can be consumed or committed);
/// degraded when committed messages wait in the outbox longer than a minute (SNS/SQS unreachable, or no host
/// delivering), with the count, the oldest one's age and the last delivery error.
/// </summary>
sealed class PipelineHealthCheck(BusDatabase database) : IHealthCheck
{
    static readonly TimeSpan Stuck = TimeSpan.FromMinutes(1);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        OutboxBacklog backlog;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            backlog = await database.BacklogAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"the pipeline database ({database.Dialect.Name}) cannot be reached: {ex.Message}", ex);
        }

        var data = new Dictionary<string, object>
        {
            ["database"] = database.Dialect.Name,
            ["outboxPending"] = backlog.Pending,
            ["outboxDead"] = backlog.Dead,
        };
        if (backlog.Dead > 0)
            return HealthCheckResult.Degraded($"{backlog.Dead} outbox(es) can never be delivered (the broker refused a message for good): see bus errors " +
                "outbox", data: data);
        if (backlog.Oldest is not { } oldest)
            return HealthCheckResult.Healthy("the outbox is empty", data);
        var age = DateTimeOffset.UtcNow - oldest;
        data["oldestPendingSeconds"] = Math.Round(age.TotalSeconds);
        data["mostAttempts"] = backlog.MostAttempts;
        if (backlog.LastError is not null)
            data["lastError"] = backlog.LastError;
        return age > Stuck
            ? HealthCheckResult.Degraded($"{backlog.Pending} outbox(es) undelivered, the oldest for {age.TotalSeconds:0} s: " +
                $"{backlog.LastError ?? "no delivery attempt yet"}", data: data)
            : HealthCheckResult.Healthy($"{backlog.Pending} outbox(es) being delivered", data);
    }
}
