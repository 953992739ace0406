using MassTransit;

namespace Bus.Stages;

/// <summary>
/// A receive endpoint a stage runs: its queue (from the host's name for per-host queues) and the message types it
/// consumes, read from its consumer or state machine, so that it subscribes to exactly the topics the host subscribes.
/// </summary>
public sealed record EndpointTopology(Func<string, string> QueueFor, IReadOnlyList<Type> Consumes)
{
    /// <summary>An endpoint with one queue whatever the host, consuming what <typeparamref name="TConsumer"/> consumes.</summary>
    public static EndpointTopology Of<TConsumer>(string queue) => Of<TConsumer>(_ => queue);

    public static EndpointTopology Of<TConsumer>(Func<string, string> queueFor) =>
        new(queueFor, typeof(TConsumer).GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0]).ToList());

    /// <summary>A saga's endpoint: the message of every event and every schedule of <typeparamref name="TMachine"/>.</summary>
    public static EndpointTopology OfStateMachine<TMachine>(string queue) =>
        new(_ => queue, typeof(TMachine).GetProperties()
            .Select(p => p.PropertyType)
            .Where(t => t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(Event<>) || t.GetGenericTypeDefinition() == typeof(Schedule<,>)))
            .Select(t => t.GetGenericArguments()[^1])
            .Distinct()
            .ToList());
}
