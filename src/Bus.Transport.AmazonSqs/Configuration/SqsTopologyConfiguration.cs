using Bus.Transport.AmazonSqs.Topology;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Topology;

namespace Bus.Transport.AmazonSqs.Configuration;

sealed class SqsTopologyConfiguration : ITopologyConfiguration
{
    public SqsTopologyConfiguration(IMessageTopologyConfigurator messageTopology)
    {
        Message = messageTopology;
        var send = new SendTopology();
        send.ConnectSendTopologyConfigurationObserver(new DelegateSendTopologyConfigurationObserver(GlobalTopology.Send));
        Send = send;
        Publish = new SqsPublishTopology(messageTopology);
        Publish.ConnectPublishTopologyConfigurationObserver(new DelegatePublishTopologyConfigurationObserver(GlobalTopology.Publish));
        Consume = new SqsConsumeTopology();
    }

    public SqsTopologyConfiguration(SqsTopologyConfiguration parent)
    {
        Message = parent.Message;
        Send = parent.Send;
        Publish = parent.Publish;
        Consume = new SqsConsumeTopology();
    }

    public IMessageTopologyConfigurator Message { get; }
    public ISendTopologyConfigurator Send { get; }
    public SqsPublishTopology Publish { get; }
    public IConsumeTopologyConfigurator Consume { get; }

    IPublishTopologyConfigurator ITopologyConfiguration.Publish => Publish;

    public IEnumerable<ValidationResult> Validate() => Send.Validate().Concat(Publish.Validate()).Concat(Consume.Validate());
}
