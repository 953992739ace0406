using MassTransit;
using MassTransit.Clients;
using MassTransit.DependencyInjection;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using MassTransit.Transports;

namespace Bus.Persistence.Outbox;

sealed class BusOutboxScopedBusContext(IBus bus, BusUnitOfWork unitOfWork, IClientFactory clientFactory, IServiceProvider provider) : ScopedBusContext,
    OutboxSendContext
{
    ISendEndpointProvider? _send;
    IPublishEndpoint? _publish;
    IScopedClientFactory? _clients;

    public ISendEndpointProvider SendEndpointProvider => _send ??= new OutboxSendEndpointProvider(this, bus);
    public IPublishEndpoint PublishEndpoint => _publish ??= new PublishEndpoint(new OutboxPublishEndpointProvider(this, bus));
    public IScopedClientFactory ClientFactory => _clients ??= new ScopedClientFactory(new ClientFactory(new ScopedClientFactoryContext(clientFactory,
        provider)), null!);

    public Task AddSend<T>(SendContext<T> context)
        where T : class
    {
        unitOfWork.Capture(OutboxRecord.From(context));
        return Task.CompletedTask;
    }

    public object? GetService(Type serviceType) => provider.GetService(serviceType);
}
