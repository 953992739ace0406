using Bus.Ml;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bus.Stages;

/// <summary>One registration line per stage; a new stage consumer is one class and one line here.</summary>
public static class StageRegistration
{
    public static IBusRegistrationConfigurator AddEvaluationStage(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<EvaluateModelConsumer, EvaluateModelConsumerDefinition>();
        return x;
    }

    /// <summary>
    /// Deployment and serving. <paramref name="servingHost"/> names this host's own <c>model-deployed</c> queue, so
    /// every serving host follows the production alias wherever the deployment ran; give each serving host a distinct,
    /// stable name (<c>Bus:Host:Name</c>). Without it, this host serves only what it deploys itself.
    /// </summary>
    public static IBusRegistrationConfigurator AddDeploymentStage(this IBusRegistrationConfigurator x, string? servingHost = null)
    {
        x.TryAddSingleton<ModelServer>();
        x.AddConsumer<DeployModelConsumer, DeployModelConsumerDefinition>();
        return servingHost is null ? x : x.AddServingStage(servingHost);
    }

    /// <summary>
    /// Serving only: an inference replica that follows the production alias (from the shared registry) without
    /// deploying anything itself; it hears of every deployment on its own queue (<see cref="AddDeploymentStage"/>),
    /// loads the aliases on start and reconciles with the registry every <see cref="ServingOptions.ReconcileInterval"/>.
    /// </summary>
    public static IBusRegistrationConfigurator AddServingStage(this IBusRegistrationConfigurator x, string servingHost)
    {
        x.TryAddSingleton<ModelServer>();
        x.TryAddSingleton<ChampionFollower>();
        OptionsServiceCollectionExtensions.AddOptions<ServingOptions>(x)
            .Validate(o => o.ReconcileInterval >= TimeSpan.Zero, "Bus:Serving:ReconcileInterval cannot be negative");
        x.AddHostedService<ChampionReconciler>();
        x.AddConsumer<ServeChampionConsumer, ServeChampionConsumerDefinition>().Endpoint(e => e.Name = ServeChampionConsumer.EndpointFor(servingHost));
        return x;
    }

    public static IBusRegistrationConfigurator AddTaggingStage(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<TagDatasetConsumer, TagDatasetConsumerDefinition>();
        return x;
    }
}
