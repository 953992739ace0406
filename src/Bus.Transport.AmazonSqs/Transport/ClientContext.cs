using MassTransit;
using MassTransit.Middleware;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>The pipe context the transport's receive and send pipes run in: access to the shared <see cref="SqsEntityClient"/>.</summary>
public sealed class ClientContext(SqsEntityClient client, CancellationToken cancellationToken) : BasePipeContext(cancellationToken), PipeContext
{
    public SqsEntityClient Client { get; } = client;
}
