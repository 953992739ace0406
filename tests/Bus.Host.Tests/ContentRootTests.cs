using Bus.Testing;
using Bus.Tooling;

namespace Bus.Host.Tests;

/// <summary>The host reads its own appsettings.json wherever it is started, not the working directory's.</summary>
[Collection(EmulatorCollection.Name)]
public class A_host_started_from_another_folder(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_log_as_its_own_appsettings_says()
    {
        var elsewhere = Directory.CreateTempSubdirectory("bus-elsewhere-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Bus:Aws:ServiceUrl"] = emulator.ServiceUrl.ToString(),
            ["Bus:Aws:Scope"] = "cr-" + Guid.NewGuid().ToString("N")[..6],
            ["Bus:Host:DataDirectory"] = Path.Combine(elsewhere, "data"),
        };

        await using (var host = await HostProcess.StartAsync("elsewhere", ["lifecycle"], settings, default, workingDirectory: elsewhere, ownLogging: true))
        {
            using var http = new HttpClient { BaseAddress = host.Url };
            for (var i = 0; i < 3; i++)
                (await http.GetAsync(new Uri("/health/live", UriKind.Relative))).EnsureSuccessStatusCode();
            (await Poll.Until(() => host.Log.Contains("Now listening on", StringComparison.Ordinal))).Should().BeTrue(host.Log);
            await Task.Delay(500);

            // appsettings.json puts Microsoft.AspNetCore at Warning; without it every request is logged at Information.
            host.Log.Should().NotContain("Request starting");
        }

        Directory.Delete(elsewhere, recursive: true);
    }
}
