using Bus.Host;

// The content root is where the host's files are (its appsettings.json), wherever it is started from; the data
// directory (Bus:Host:DataDirectory) stays relative to the working directory. ASPNETCORE_CONTENTROOT overrides it.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is { Length: > 0 } root ? root : AppContext.BaseDirectory,
});
builder.AddBusHost();
builder.AddBusSecurity();

var app = builder.Build();
app.UseBusProblemDetails();
app.UseBusSecurity();
app.MapBusEndpoints();

// Taken before the run: RunAsync disposes the host, and its services cannot be asked for afterwards.
var backgroundServices = app.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
await app.RunAsync();

// A background service that failed stops the host (the default BackgroundServiceExceptionBehavior); say so with the
// exit code, so a supervisor restarts the process instead of taking the stop for a clean shutdown. SIGTERM exits 0.
return backgroundServices.Any(s => s.ExecuteTask is { IsFaulted: true }) ? 1 : 0;
