using MassTransit;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Creates the endpoint's queue (with its redrive queue) and its topic subscriptions before receiving starts.</summary>
sealed class ConfigureQueueTopologyFilter(SqsReceiveEndpointContext context) : IFilter<ClientContext>
{
    public async Task Send(ClientContext client, IPipe<ClientContext> next)
    {
        var settings = context.Settings;
        context.Queue = await client.Client.GetQueueAsync(context.QueueName, new QueueOptions
        {
            VisibilityTimeoutSeconds = settings.VisibilityTimeoutSeconds,
            ReceiveWaitTimeSeconds = settings.WaitTimeSeconds,
            RedriveQueue = context.RedriveQueueName,
            MaxReceiveCount = settings.MaxReceiveCount,
            Temporary = settings.Temporary,
        }, client.CancellationToken).ConfigureAwait(false);

        foreach (var subscription in settings.Subscriptions)
        {
            await client.Client.SubscribeAsync(context.Host.PhysicalTopicName(subscription.TopicName), context.QueueName,
                subscription.RawMessageDelivery, subscription.FilterPolicy, client.CancellationToken).ConfigureAwait(false);
        }

        await next.Send(client).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context)
    {
    }
}
