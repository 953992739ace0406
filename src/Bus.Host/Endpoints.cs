using Bus.Host.Apis;
using Bus.Stages;
using Bus.Stages.Lifecycle;
using Microsoft.Extensions.Options;

namespace Bus.Host;

/// <summary>
/// The host's HTTP surface, one API per file under Apis/ (as eShop groups them): health, models, and lifecycle on hosts
/// that run the lifecycle stage (its requests and commands need the lifecycle role's rights on SNS/SQS).
/// </summary>
static class Endpoints
{
    /// <summary>
    /// Every 4xx and 5xx answer is RFC 9457 problem details: an exception is a 500 problem without its stack, a body that
    /// cannot be read (bad JSON, a wrong type) a 400 problem that says why, and a refusal with no body of its own (401, 403,
    /// 404, 429, ...) a problem of its status.
    /// </summary>
    public static WebApplication UseBusProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    public static void MapBusEndpoints(this WebApplication app)
    {
        app.MapHealthApi().MapModelsApi().MapInferenceProtocol();
        if (PipelineStages.Selected(app.Services.GetRequiredService<IOptions<BusHostOptions>>().Value.Stages).Any(s => s is LifecycleStage))
        {
            app.MapLifecycleApi();
            app.MapDashboardApi();
        }
    }
}
