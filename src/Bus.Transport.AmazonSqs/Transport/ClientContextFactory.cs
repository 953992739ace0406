using MassTransit;
using MassTransit.Agents;

namespace Bus.Transport.AmazonSqs.Transport;

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
