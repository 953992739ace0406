using MassTransit;

namespace Bus.Stages;

public sealed class TagDatasetConsumerDefinition : ConsumerDefinition<TagDatasetConsumer>
{
    public TagDatasetConsumerDefinition()
    {
        EndpointName = "tag-dataset";
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TagDatasetConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(Transient.Configure);
}
