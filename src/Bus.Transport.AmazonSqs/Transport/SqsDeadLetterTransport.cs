using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Moves a message no consumer on the endpoint could take to <c>&lt;queue&gt;_skipped</c>, with the reason.</summary>
sealed class SqsDeadLetterTransport(SqsReceiveEndpointContext endpoint) : IDeadLetterTransport
{
    public Task Send(ReceiveContext context, string reason) =>
        SqsMove.Move(context, endpoint, endpoint.SkippedQueueName, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.Reason] = SqsErrorTransport.Truncate(reason, 1024),
            [MessageHeaders.FaultInputAddress] = endpoint.InputAddress.ToString(),
        });
}
