using MassTransit;

namespace Bus.Stages.Deployment;

public sealed class DeployModelConsumerDefinition : ConsumerDefinition<DeployModelConsumer>
{
    public const string QueueName = "deploy-model";

    public DeployModelConsumerDefinition()
    {
        EndpointName = QueueName;
        // Promotions are serialised: the alias revision order is the order of deployments.
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<DeployModelConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(Transient.Configure);
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
