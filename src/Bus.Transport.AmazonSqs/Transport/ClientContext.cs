using MassTransit;
using MassTransit.Agents;
using MassTransit.Middleware;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>The pipe context the transport's receive and send pipes run in: access to the shared <see cref="SqsEntityClient"/>.</summary>
public sealed class ClientContext(SqsEntityClient client, CancellationToken cancellationToken) : BasePipeContext(cancellationToken), PipeContext
{
    public SqsEntityClient Client { get; } = client;
}

sealed class ClientContextFactory(Func<SqsEntityClient> client) : IPipeContextFactory<ClientContext>
{
    public IPipeContextAgent<ClientContext> CreateContext(ISupervisor supervisor) =>
        supervisor.AddContext(Task.Run(() => new ClientContext(client(), supervisor.Stopped)));

    public IActivePipeContextAgent<ClientContext> CreateActiveContext(ISupervisor supervisor, PipeContextHandle<ClientContext> context,
        CancellationToken cancellationToken) =>
        supervisor.AddActiveContext(context, Shared(context.Context, cancellationToken));

    static async Task<ClientContext> Shared(Task<ClientContext> context, CancellationToken cancellationToken) =>
        new((await context.WaitAsync(cancellationToken).ConfigureAwait(false)).Client, cancellationToken);
}

/// <summary>Supervises the client contexts of one host, endpoint or send transport; stopping a parent stops its children.</summary>
sealed class ClientContextSupervisor(Func<SqsEntityClient> client) : TransportPipeContextSupervisor<ClientContext>(new ClientContextFactory(client));
