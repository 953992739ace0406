using Bus.Host.Apis;
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
        if (StageCatalog.RunsLifecycle(app.Services.GetRequiredService<IOptions<BusHostOptions>>().Value.Stages))
        {
            app.MapLifecycleApi();
            app.MapDashboardApi();
        }
    }
}
