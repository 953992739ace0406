using MassTransit;

namespace Bus.Stages.Tagging;

public sealed class TagDatasetConsumerDefinition : ConsumerDefinition<TagDatasetConsumer>
{
    public const string QueueName = "tag-dataset";

    public TagDatasetConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TagDatasetConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(Transient.Configure);
}
