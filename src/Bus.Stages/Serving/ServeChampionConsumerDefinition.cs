using MassTransit;

namespace Bus.Stages.Serving;

public sealed class ServeChampionConsumerDefinition : ConsumerDefinition<ServeChampionConsumer>
{
    public ServeChampionConsumerDefinition() => ConcurrentMessageLimit = 1;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ServeChampionConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(Transient.Configure);
}
