using Bus.Stages;
using Bus.Testing;
using Bus.Tooling;

namespace Bus.Host.Tests;

/// <summary>A host started with only one stage of the catalog starts and is ready: no stage leans on another's registrations.</summary>
[Collection(EmulatorCollection.Name)]
public class A_host_with_one_stage(EmulatorFixture emulator)
{
    public static TheoryData<string> Stages() => [.. PipelineStages.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Stages))]
    public async Task Should_start_and_be_ready(string stage)
    {
        var data = Directory.CreateTempSubdirectory("bus-one-stage-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Bus:Aws:ServiceUrl"] = emulator.ServiceUrl.ToString(),
            ["Bus:Aws:Scope"] = "one-" + Guid.NewGuid().ToString("N")[..6],
            ["Bus:Host:DataDirectory"] = data,
        };

        await using (var host = await HostProcess.StartAsync($"only-{stage}", [stage], settings, default))
        {
            using var http = new HttpClient { BaseAddress = host.Url };
            var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            ready.IsSuccessStatusCode.Should().BeTrue(host.Log);
        }

        Directory.Delete(data, recursive: true);
    }
}
