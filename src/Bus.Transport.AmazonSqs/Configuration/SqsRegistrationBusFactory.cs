using MassTransit;
using MassTransit.Configuration;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Configuration;

sealed class SqsRegistrationBusFactory : TransportRegistrationBusFactory<IAmazonSqsReceiveEndpointConfigurator>
{
    readonly SqsBusConfiguration _busConfiguration;
    readonly Action<IBusRegistrationContext, IAmazonSqsBusFactoryConfigurator>? _configure;

    public SqsRegistrationBusFactory(Action<IBusRegistrationContext, IAmazonSqsBusFactoryConfigurator>? configure)
        : this(new SqsBusConfiguration(new SqsTopologyConfiguration(new MassTransit.Topology.MessageTopology(Topology.DefaultTopicNameFormatter.Instance))),
            configure)
    {
    }

    SqsRegistrationBusFactory(SqsBusConfiguration busConfiguration, Action<IBusRegistrationContext, IAmazonSqsBusFactoryConfigurator>? configure)
        : base(busConfiguration.HostConfiguration)
    {
        _busConfiguration = busConfiguration;
        _configure = configure;
    }

    public override IBusInstance CreateBus(IBusRegistrationContext context, IEnumerable<IBusInstanceSpecification> specifications, string busName)
    {
        var configurator = new SqsBusFactoryConfigurator(_busConfiguration);
        // Plain JSON from non-MassTransit producers is read by the raw JSON deserializer; the transport tells it the message type.
        configurator.UseRawJsonDeserializer(RawSerializerOptions.AddTransportHeaders | RawSerializerOptions.CopyHeaders, isDefault: false);
        return CreateBus(configurator, context, _configure, specifications);
    }
}
