using Bus.Shared;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bus.Stages.Serving;

/// <summary>
/// Serving only: an inference replica that follows the production alias (from the shared registry) without deploying
/// anything itself; it hears of every deployment on its own queue, loads the aliases on start and reconciles with the
/// registry every <see cref="ServingOptions.ReconcileInterval"/>. Ready only while it serves what the registry names.
/// During a rollout it serves the candidate beside the champion and reports both to the lifecycle saga.
/// Registered once however many stages ask for it (deployment includes it).
/// </summary>
public sealed class ServingStage() : PipelineStage(StageName, "an inference replica that follows the production alias")
{
    public const string StageName = "serving";

    /// <summary>The one instance, shared by the list of stages and by the stages that include it.</summary>
    public static ServingStage Instance { get; } = new();

    public override StageTopology Topology { get; } = new([EndpointTopology.Of<ServeChampionConsumer>(ServeChampionConsumer.EndpointFor)],
        [typeof(Contracts.ServingReport)], [], StageStorage.ReadsArtifacts);

    protected override void Register(IBusRegistrationConfigurator x, StageSettings settings)
    {
        if (x.Any(d => d.ServiceType == typeof(ChampionFollower)))
            return;
        StageDependencies.TryAdd(x, settings);
        x.TryAddSingleton<ChampionFollower>();
        x.TryAddSingleton<CandidateFollower>();
        x.AddHostedService<ServingReporter>();
        x.AddValidatedOptions<ServingOptions, ServingOptionsValidator>(ServingOptions.SectionName);
        x.AddHostedService<ChampionReconciler>();
        x.AddHealthChecks().AddCheck<ServingHealthCheck>("serving", tags: ["ready"]);
        x.AddConsumer<ServeChampionConsumer, ServeChampionConsumerDefinition>()
            .Endpoint(e => e.Name = ServeChampionConsumer.EndpointFor(settings.HostName));
    }
}
