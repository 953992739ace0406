using MassTransit;
using MassTransit.Topology;

namespace Bus.Transport.AmazonSqs.Topology;

/// <summary>One SNS topic per published message type, named by the message topology's entity name formatter.</summary>
public sealed class SqsPublishTopology(IMessageTopology messageTopology) : PublishTopology
{
    protected override IMessagePublishTopologyConfigurator CreateMessageTopology<T>()
    {
        var topology = new SqsMessagePublishTopology<T>(this, messageTopology.GetMessageTopology<T>());
        OnMessageTopologyCreated(topology);
        return topology;
    }

    /// <summary>The logical topic name of a message type.</summary>
    public string TopicName<T>() where T : class => ((SqsMessagePublishTopology<T>)((IPublishTopology)this).GetMessageTopology<T>()).TopicName;
}
