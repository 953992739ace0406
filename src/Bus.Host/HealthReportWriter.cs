using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bus.Host;

/// <summary>The readiness answer an operator can read: overall status and, per check, its status, description and data.</summary>
static class HealthReportWriter
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Anonymous callers (a load balancer) get the status alone; operators get every check's details.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.RequestServices.GetRequiredService<ReadinessLog>().Observe(report);
        context.Response.ContentType = "application/json";
        var security = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<SecurityOptions>>().Value;
        if (!context.User.IsOperator(security))
            return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = report.Status.ToString() }, Json));
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}
