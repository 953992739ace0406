using MassTransit;

namespace Bus.Pipeline;

/// <summary>Endpoint, retry and outbox settings of the lifecycle saga.</summary>
public sealed class ModelLifecycleStateDefinition : SagaDefinition<ModelLifecycleState>
{
    public const string QueueName = "model-lifecycle";

    /// <summary>The table durable hosts keep the saga in, and its indexed model-name column (read by the CLI).</summary>
    public const string TableName = "model_lifecycle";
    public const string ModelNameColumn = "model_name";

    public ModelLifecycleStateDefinition()
    {
        Endpoint(e => e.Name = QueueName);
        ConcurrentMessageLimit = 16;
    }

    protected override void ConfigureSaga(
        IReceiveEndpointConfigurator endpointConfigurator,
        ISagaConfigurator<ModelLifecycleState> sagaConfigurator,
        IRegistrationContext context)
    {
        // Lost optimistic-concurrency races and brief store hiccups are retried; the state machine
        // itself throws nothing for bad input (it records a Failed state with the reason instead).
        // A name that breaks the naming rule (ArgumentException from the correlation) will not heal: straight to _error.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<ArgumentException>();
            r.Intervals(50, 200, 500, 1_000, 2_000, 5_000);
        });
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
