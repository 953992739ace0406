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

class SqsEndpointConfiguration : EndpointConfiguration
{
    public SqsEndpointConfiguration(SqsTopologyConfiguration topology)
        : base(topology) =>
        Topology = topology;

    SqsEndpointConfiguration(IEndpointConfiguration parent, SqsTopologyConfiguration topology, bool isBusEndpoint)
        : base(parent, topology, isBusEndpoint) =>
        Topology = topology;

    public new SqsTopologyConfiguration Topology { get; }

    public SqsEndpointConfiguration CreateEndpointConfiguration(bool isBusEndpoint = false) =>
        new(this, new SqsTopologyConfiguration(Topology), isBusEndpoint);
}

sealed class SqsBusConfiguration : SqsEndpointConfiguration, IBusConfiguration
{
    readonly MassTransit.Observables.BusObservable _busObservers = new();

    public SqsBusConfiguration(SqsTopologyConfiguration topology)
        : base(topology)
    {
        HostConfiguration = new SqsHostConfiguration(this, topology);
        BusEndpointConfiguration = CreateEndpointConfiguration(isBusEndpoint: true);
    }

    public SqsHostConfiguration HostConfiguration { get; }
    public SqsEndpointConfiguration BusEndpointConfiguration { get; }

    IHostConfiguration IBusConfiguration.HostConfiguration => HostConfiguration;
    IEndpointConfiguration IBusConfiguration.BusEndpointConfiguration => BusEndpointConfiguration;
    IBusObserver IBusConfiguration.BusObservers => _busObservers;

    public ConnectHandle ConnectBusObserver(IBusObserver observer) => _busObservers.Connect(observer);

    public ConnectHandle ConnectEndpointConfigurationObserver(IEndpointConfigurationObserver observer) =>
        HostConfiguration.ConnectEndpointConfigurationObserver(observer);
}

sealed class SqsConsumeTopology() : ConsumeTopology(EntityNames.MaxQueueNameLength);
