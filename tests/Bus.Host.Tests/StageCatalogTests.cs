using Bus.Stages;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Host.Tests;

public class The_stage_catalog
{
    public static TheoryData<string> Stages() => [.. StageCatalog.Entries.Select(e => e.Name)];

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
        var settings = new HostStageSettings(new StageSettings("catalog-test", $"Data Source={Path.Combine(data, "registry.db")}"),
            $"Data Source={Path.Combine(data, "bus.db")}");
        var before = services.Count;
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            StageCatalog.Entries.Single(e => e.Name == name).Register(x, settings);
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
        StageCatalog.Names.Should().BeEquivalentTo(["lifecycle", "evaluation", "deployment", "serving", "tagging"]);
        StageCatalog.Selected([]).Should().Equal(StageCatalog.Entries, "no stage named means every stage");
        StageCatalog.Selected(["Tagging", "evaluation"]).Select(e => e.Name).Should().Equal("evaluation", "tagging");
    }

    [Fact]
    public void Should_register_serving_once_when_deployment_and_serving_are_both_named()
    {
        var services = new ServiceCollection();
        var settings = new HostStageSettings(new StageSettings("twice", "Data Source=registry.db"), "Data Source=bus.db");
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            foreach (var stage in StageCatalog.Selected(["deployment", "serving"]))
                stage.Register(x, settings);
        });

        services.Count(d => d.ServiceType == typeof(ChampionFollower)).Should().Be(1);
        services.Count(d => d.ImplementationType == typeof(ChampionReconciler)).Should().Be(1);
    }
}
