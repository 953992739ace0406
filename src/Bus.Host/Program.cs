using Bus.Host;

var builder = WebApplication.CreateBuilder(args);
builder.AddBusHost();
builder.AddBusSecurity();

var app = builder.Build();
app.UseBusSecurity();
app.MapBusEndpoints();

// Taken before the run: RunAsync disposes the host, and its services cannot be asked for afterwards.
var backgroundServices = app.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
await app.RunAsync();

// A background service that failed stops the host (the default BackgroundServiceExceptionBehavior); say so with the
// exit code, so a supervisor restarts the process instead of taking the stop for a clean shutdown. SIGTERM exits 0.
return backgroundServices.Any(s => s.ExecuteTask is { IsFaulted: true }) ? 1 : 0;
