using Bus.Host;

var builder = WebApplication.CreateBuilder(args);
builder.AddBusHost();

var app = builder.Build();
app.MapBusEndpoints();
await app.RunAsync();

// A background service that failed stops the host (the default BackgroundServiceExceptionBehavior); say so with the
// exit code, so a supervisor restarts the process instead of taking the stop for a clean shutdown.
return app.Services.GetServices<IHostedService>().OfType<BackgroundService>().Any(s => s.ExecuteTask is { IsFaulted: true }) ? 1 : 0;
