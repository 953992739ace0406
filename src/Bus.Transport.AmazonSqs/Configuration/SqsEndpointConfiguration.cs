using MassTransit.Configuration;

namespace Bus.Transport.AmazonSqs.Configuration;

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
