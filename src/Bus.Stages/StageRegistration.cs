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

    public static IBusRegistrationConfigurator AddDeploymentStage(this IBusRegistrationConfigurator x)
    {
        x.TryAddSingleton<ModelServer>();
        x.AddConsumer<DeployModelConsumer, DeployModelConsumerDefinition>();
        return x;
    }

    public static IBusRegistrationConfigurator AddTaggingStage(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<TagDatasetConsumer, TagDatasetConsumerDefinition>();
        return x;
    }
}
