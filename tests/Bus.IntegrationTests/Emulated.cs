using Bus.Testing;
using Bus.Transport.AmazonSqs;

namespace Bus.IntegrationTests;

/// <summary>What every integration bus shares: the emulator host, a scope of its own, a fresh SQLite file.</summary>
static class Emulated
{
    public static void EmulatorHost(this IAmazonSqsBusFactoryConfigurator cfg, Uri serviceUrl, string scope) =>
        cfg.Host(h =>
        {
            h.ServiceUrl = serviceUrl;
            h.Credentials = AwsClients.Credentials;
            h.Scope = scope;
        });

    public static string Scope(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    public static string SqliteFile(string prefix) =>
        $"Data Source={Path.Combine(Path.GetTempPath(), $"bus-{prefix}-{Guid.NewGuid():N}", "bus.db")}";
}
