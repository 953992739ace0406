using Bus.Transport.AmazonSqs.Configuration;
using Bus.Transport.AmazonSqs.Topology;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

sealed class SqsSendTransportProvider(SqsHostConfiguration host, SqsReceiveEndpointContext endpoint) : ISendTransportProvider, IPublishTransportProvider
{
    public Uri NormalizeAddress(Uri address) => SqsEndpointAddress.Parse(host.HostAddress, address).ToUri();

    public Task<ISendTransport> GetSendTransport(Uri address) => Task.FromResult(Create(SqsEndpointAddress.Parse(host.HostAddress, address)));

    public Task<ISendTransport> GetPublishTransport<T>(Uri? publishAddress)
        where T : class =>
        Task.FromResult(Create(publishAddress is null
            ? new SqsEndpointAddress(host.Settings.Region, host.PublishTopology.TopicName<T>(), SqsEntityKind.Topic)
            : SqsEndpointAddress.Parse(host.HostAddress, publishAddress)));

    ISendTransport Create(SqsEndpointAddress address)
    {
        var supervisor = new ClientContextSupervisor(() => host.Client);
        endpoint.AddSendAgent(supervisor);
        SqsSendTransportContext context = address.Kind == SqsEntityKind.Topic
            ? new TopicSendTransportContext(host, endpoint, supervisor, address.Name)
            : new QueueSendTransportContext(host, endpoint, supervisor, address.Name);
        var transport = new SendTransport<ClientContext>(context);
        endpoint.AddSendAgent(transport);
        return transport;
    }
}
