using Bus.Host.Apis;

namespace Bus.Host;

/// <summary>The host's HTTP surface, one API per file under Apis/ (as eShop groups them): health, models, lifecycle.</summary>
static class Endpoints
{
    public static void MapBusEndpoints(this WebApplication app) => app.MapHealthApi().MapModelsApi().MapLifecycleApi();
}
