using Bus.Contracts;
using MassTransit;

namespace Bus.Pipeline;

/// <summary>
/// Names topics by pipeline stage: a message with <see cref="StageAttribute"/> <c>training.complete</c> is
/// published to <c>training-complete</c>; other messages keep the transport's default name.
/// </summary>
public sealed class StageEntityNameFormatter(IEntityNameFormatter fallback) : IEntityNameFormatter
{
    public string FormatEntityName<T>() =>
        StageAttribute.TopicNameOf(typeof(T)) ?? fallback.FormatEntityName<T>();

    /// <summary>Puts stage names in front of the bus's current entity name formatter.</summary>
    public static void Apply(IBusFactoryConfigurator configurator) =>
        configurator.MessageTopology.SetEntityNameFormatter(new StageEntityNameFormatter(configurator.MessageTopology.EntityNameFormatter));
}
