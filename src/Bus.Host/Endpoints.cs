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
    public static void MapBusEndpoints(this WebApplication app)
    {
        app.MapHealthApi().MapModelsApi();
        if (PipelineStages.Selected(app.Services.GetRequiredService<IOptions<BusHostOptions>>().Value.Stages).Any(s => s is LifecycleStage))
        {
            app.MapLifecycleApi();
            app.MapDashboardApi();
        }
    }
}
