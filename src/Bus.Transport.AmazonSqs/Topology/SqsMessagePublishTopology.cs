using MassTransit;
using MassTransit.Topology;

namespace Bus.Transport.AmazonSqs.Topology;

public sealed class SqsMessagePublishTopology<T>(IPublishTopology publishTopology, IMessageTopology<T> messageTopology)
    : MessagePublishTopology<T>(publishTopology)
    where T : class
{
    public string TopicName => messageTopology.EntityName;

    public override bool TryGetPublishAddress(Uri baseAddress, out Uri publishAddress)
    {
        publishAddress = new SqsEndpointAddress(baseAddress.Host, TopicName, SqsEntityKind.Topic).ToUri();
        return true;
    }
}
