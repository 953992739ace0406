using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Runs the receive loop of one endpoint for as long as its client context lives.</summary>
sealed class SqsConsumerFilter(SqsReceiveEndpointContext context) : IFilter<ClientContext>
{
    public async Task Send(ClientContext client, IPipe<ClientContext> next)
    {
        var receiver = new SqsMessageReceiver(client, context);
        await receiver.Ready.ConfigureAwait(false);
        context.AddConsumeAgent(receiver);
        await context.TransportObservers.NotifyReady(context.InputAddress, true).ConfigureAwait(false);
        try
        {
            await receiver.Completed.ConfigureAwait(false);
        }
        finally
        {
            await context.TransportObservers.NotifyCompleted(context.InputAddress, receiver).ConfigureAwait(false);
            if (context.Settings.Temporary && context.Queue is { } queue)
            {
                try
                {
                    await client.Client.Sqs.DeleteQueueAsync(queue.Url).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogContext.Warning?.Log(ex, "Could not delete the temporary queue {Queue}", queue.Name);
                }
            }
        }
    }

    public void Probe(ProbeContext context)
    {
    }
}
