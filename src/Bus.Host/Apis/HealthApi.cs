using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Bus.Host.Apis;

/// <summary>/health: live (the process answers) and ready (every check; 503 when one is unhealthy).</summary>
static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health");
        // Every check as JSON (description and data: outbox backlog, bus endpoints) to operators, the status to anyone.
        health.MapHealthChecks("/ready", new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        health.MapGet("/live", () => Results.Ok(new { status = "live" }));
        return app;
    }
}
