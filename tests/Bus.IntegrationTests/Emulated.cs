using Bus.Contracts;
using Bus.Pipeline;
using Bus.Tooling;
using Bus.Transport.AmazonSqs;
using MassTransit;

namespace Bus.IntegrationTests;

/// <summary>What every integration bus shares: the emulator host, a scope of its own, a fresh SQLite file.</summary>
static class Emulated
{
    public static void EmulatorHost(this IAmazonSqsBusFactoryConfigurator cfg, Uri serviceUrl, string scope) =>
        cfg.Host(h =>
        {
            h.ServiceUrl = serviceUrl;
            h.Credentials = EmulatorClients.Credentials;
            h.Scope = scope;
        });

    /// <summary>The bus as the hosts configure it: stage topic names, plain-JSON announcements, delayed scheduling, every registered endpoint.</summary>
    public static void PipelineBus(this IAmazonSqsBusFactoryConfigurator cfg, IBusRegistrationContext context, Uri serviceUrl, string scope)
    {
        cfg.EmulatorHost(serviceUrl, scope);
        StageEntityNameFormatter.Apply(cfg);
        cfg.AcceptPlainJson<TrainingCompleted>();
        cfg.UseDelayedMessageScheduler();
        cfg.ConfigureEndpoints(context);
    }

    public static string Scope(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    public static string SqliteFile(string prefix) =>
        $"Data Source={Path.Combine(Path.GetTempPath(), $"bus-{prefix}-{Guid.NewGuid():N}", "bus.db")}";
}
