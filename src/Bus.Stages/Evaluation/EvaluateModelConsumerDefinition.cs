using MassTransit;

namespace Bus.Stages.Evaluation;

public sealed class EvaluateModelConsumerDefinition : ConsumerDefinition<EvaluateModelConsumer>
{
    public const string QueueName = "evaluate-model";

    public EvaluateModelConsumerDefinition()
    {
        EndpointName = QueueName;
        ConcurrentMessageLimit = 2;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<EvaluateModelConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(Transient.Configure);
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
