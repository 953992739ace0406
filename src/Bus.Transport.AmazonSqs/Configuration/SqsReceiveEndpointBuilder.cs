using MassTransit;
using MassTransit.Configuration;

namespace Bus.Transport.AmazonSqs.Configuration;

/// <summary>Subscribes the endpoint's queue to the topic of every message type it consumes.</summary>
sealed class SqsReceiveEndpointBuilder(SqsReceiveEndpointConfiguration configuration) : ReceiveEndpointBuilder(configuration)
{
    public override ConnectHandle ConnectConsumePipe<T>(IPipe<ConsumeContext<T>> pipe, ConnectPipeOptions options)
    {
        if (configuration.ConfigureConsumeTopology && options.HasFlag(ConnectPipeOptions.ConfigureConsumeTopology)
            && configuration.Topology.Consume.GetMessageTopology<T>().ConfigureConsumeTopology
            && MessageTypeCache<T>.IsValidMessageType && !MessageTypeCache<T>.IsTemporaryMessageType)
        {
            configuration.Settings.AddSubscription(configuration.SubscriptionFor<T>());
        }

        return base.ConnectConsumePipe(pipe, options);
    }
}
