using MassTransit;
using MassTransit.DependencyInjection;

namespace Bus.Persistence.Outbox;

/// <summary>
/// The bus outbox: outside a consumer (an API request, a CLI command), <see cref="IPublishEndpoint"/> and
/// <see cref="ISendEndpointProvider"/> resolved from a scope capture messages into the scope's
/// <see cref="BusUnitOfWork"/>; they are stored when the caller commits it, with the caller's own writes.
/// Inside a consumer the consume context is used, as MassTransit does by default.
/// </summary>
public sealed class BusOutboxScopedBusContextProvider : IScopedBusContextProvider<IBus>
{
    public BusOutboxScopedBusContextProvider(IBus bus, Bind<IBus, IClientFactory> clientFactory, Bind<IBus,
        IScopedConsumeContextProvider> busConsumeContextProvider,
        IScopedConsumeContextProvider globalConsumeContextProvider, BusUnitOfWork unitOfWork, IServiceProvider provider)
    {
        if (busConsumeContextProvider.Value.HasContext)
            Context = new ConsumeContextScopedBusContext(busConsumeContextProvider.Value.GetContext(), clientFactory.Value);
        else if (globalConsumeContextProvider.HasContext)
            Context = new ConsumeContextScopedBusContext<IBus>(bus, globalConsumeContextProvider.GetContext(), clientFactory.Value, provider);
        else
            Context = new BusOutboxScopedBusContext(bus, unitOfWork, clientFactory.Value, provider);
    }

    public ScopedBusContext Context { get; }
}
