using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bus.Stages;

/// <summary>
/// Each stage's registration: its consumer, its options bound to its own configuration section, and its dependencies
/// (added when missing). The host picks stages by name from its catalog (<c>Bus.Host.StageCatalog</c>).
/// </summary>
public static class StageRegistration
{
    public static IBusRegistrationConfigurator AddEvaluationStage(this IBusRegistrationConfigurator x, StageSettings settings)
    {
        StageDependencies.TryAdd(x, settings);
        x.AddConsumer<EvaluateModelConsumer, EvaluateModelConsumerDefinition>();
        return x;
    }

    /// <summary>
    /// Deployment, which also serves: the host's own <c>model-deployed</c> queue (named for <see cref="StageSettings.HostName"/>)
    /// keeps every serving host on the production alias wherever the deployment ran; give each serving host a distinct,
    /// stable name (<c>Bus:Host:Name</c>).
    /// </summary>
    public static IBusRegistrationConfigurator AddDeploymentStage(this IBusRegistrationConfigurator x, StageSettings settings)
    {
        StageDependencies.TryAdd(x, settings);
        x.AddConsumer<DeployModelConsumer, DeployModelConsumerDefinition>();
        return x.AddServingStage(settings);
    }

    /// <summary>
    /// Serving only: an inference replica that follows the production alias (from the shared registry) without
    /// deploying anything itself; it hears of every deployment on its own queue, loads the aliases on start and
    /// reconciles with the registry every <see cref="ServingOptions.ReconcileInterval"/>. Registered once however many
    /// stages ask for it (deployment includes it).
    /// </summary>
    public static IBusRegistrationConfigurator AddServingStage(this IBusRegistrationConfigurator x, StageSettings settings)
    {
        if (x.Any(d => d.ServiceType == typeof(ChampionFollower)))
            return x;
        StageDependencies.TryAdd(x, settings);
        x.TryAddSingleton<ChampionFollower>();
        OptionsServiceCollectionExtensions.AddOptions<ServingOptions>(x).BindConfiguration(ServingOptions.SectionName)
            .Validate(o => o.ReconcileInterval >= TimeSpan.Zero, "Bus:Serving:ReconcileInterval cannot be negative");
        x.AddHostedService<ChampionReconciler>();
        x.AddConsumer<ServeChampionConsumer, ServeChampionConsumerDefinition>()
            .Endpoint(e => e.Name = ServeChampionConsumer.EndpointFor(settings.HostName));
        return x;
    }

    public static IBusRegistrationConfigurator AddTaggingStage(this IBusRegistrationConfigurator x, StageSettings settings)
    {
        StageDependencies.TryAdd(x, settings);
        OptionsServiceCollectionExtensions.AddOptions<TaggingOptions>(x).BindConfiguration(TaggingOptions.SectionName);
        x.AddConsumer<TagDatasetConsumer, TagDatasetConsumerDefinition>();
        return x;
    }
}
