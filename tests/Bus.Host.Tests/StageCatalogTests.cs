using Bus.Stages;
using Bus.Stages.Serving;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Bus.Host.Tests;

public class The_stage_catalog
{
    public static TheoryData<string> Stages() => [.. PipelineStages.All.Select(s => s.Name)];

    // Each stage brings what it needs: on a container holding nothing but logging and configuration, every service it
    // registers (its consumer or saga among them) can be built. A stage that leaves a dependency to its host fails here.
    [Theory]
    [MemberData(nameof(Stages))]
    public void Should_register_each_stage_on_an_empty_container(string name)
    {
        var data = Directory.CreateTempSubdirectory("bus-catalog-").FullName;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        var settings = new StageSettings("catalog-test", $"Data Source={Path.Combine(data, "registry.db")}")
        {
            PipelineConnectionString = $"Data Source={Path.Combine(data, "bus.db")}",
        };
        var before = services.Count;
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            PipelineStages.Named(name)!.AddTo(x, settings);
            x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
        });

        var consumersOrSagas = services.Where(d => d.ServiceType.Namespace?.StartsWith("Bus.", StringComparison.Ordinal) == true).ToList();
        consumersOrSagas.Should().NotBeEmpty($"the {name} stage registers its own services");
        var build = () => services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }).Dispose();
        build.Should().NotThrow($"the {name} stage adds every dependency its services need");
        services.Count.Should().BeGreaterThan(before);
        Directory.Delete(data, recursive: true);
    }

    [Fact]
    public void Should_be_the_names_a_host_accepts()
    {
        PipelineStages.Names.Should().BeEquivalentTo(PipelineStages.All.Select(s => s.Name)).And.HaveCount(PipelineStages.All.Count, "names are unique");
        PipelineStages.Selected([]).Should().Equal(PipelineStages.All, "no stage named means every stage");
        var (first, last) = (PipelineStages.All[1].Name, PipelineStages.All[^1].Name);
        PipelineStages.Selected([last.ToUpperInvariant(), first]).Select(s => s.Name).Should().Equal([first, last], "in the list's order, case ignored");
    }

    [Fact]
    public void Should_say_for_each_stage_what_it_receives_and_from_which_queue()
    {
        foreach (var stage in PipelineStages.All)
        {
            stage.Topology.Endpoints.Should().NotBeEmpty($"{stage.Name} receives from a queue of its own");
            stage.Topology.Endpoints.Should().OnlyContain(e => e.Consumes.Count > 0 && e.QueueFor("host").Length > 0, stage.Name);
        }
    }

    [Fact]
    public void Should_register_serving_once_when_deployment_and_serving_are_both_named()
    {
        var services = new ServiceCollection();
        var settings = new StageSettings("twice", "Data Source=registry.db") { PipelineConnectionString = "Data Source=bus.db" };
        var serving = PipelineStages.All.Where(s => s.Includes.Count > 0).SelectMany(s => s.Includes).First();
        var including = PipelineStages.All.First(s => s.Includes.Contains(serving));
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            foreach (var stage in PipelineStages.Selected([including.Name, serving.Name]))
                stage.AddTo(x, settings);
        });

        services.Count(d => d.ServiceType == typeof(ChampionFollower)).Should().Be(1);
        services.Count(d => d.ImplementationType == typeof(ChampionReconciler)).Should().Be(1);
        services.BuildServiceProvider().GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations
            .Count(r => r.Name == "serving").Should().Be(1, "a host that serves is ready only while it serves what the registry names, checked once");
    }
}
