using Bus.Transport.AmazonSqs.Transport;
using MassTransit;
using MassTransit.Configuration;

namespace Bus.Transport.AmazonSqs.Configuration;

sealed class SqsBusFactoryConfigurator : BusFactoryConfigurator, IAmazonSqsBusFactoryConfigurator, IBusFactory
{
    readonly SqsBusConfiguration _busConfiguration;
    readonly SqsHostConfiguration _host;
    readonly SqsReceiveSettings _busSettings;

    public SqsBusFactoryConfigurator(SqsBusConfiguration busConfiguration)
        : base(busConfiguration)
    {
        _busConfiguration = busConfiguration;
        _host = busConfiguration.HostConfiguration;
        var temporary = EntityNames.TemporaryQueuePrefix + busConfiguration.Topology.Consume.CreateTemporaryQueueName("bus");
        _busSettings = new SqsReceiveSettings(EntityNames.Queue(temporary))
        {
            Temporary = true,
            MaxReceiveCount = 0,
        };
    }

    public void Host(Action<AmazonSqsHostSettings> configure) => configure(_host.Settings);

    public void AcceptPlainJson<T>()
        where T : class =>
        _host.PlainJsonTypes[typeof(T)] = () => _host.PublishTopology.TopicName<T>();

    public void AcceptPlainJson<T>(Func<T, string?> refuse)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(refuse);
        AcceptPlainJson<T>();
        _host.PlainJsonRules[typeof(T)] = body => refuse((T)body);
    }

    public void FilterAttribute<T>(string name, Func<T, string?> value)
        where T : class =>
        _host.Attributes.Add(name, value);

    public void ReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<IAmazonSqsReceiveEndpointConfigurator>? configureEndpoint = null) =>
        _host.ReceiveEndpoint(definition, endpointNameFormatter, configureEndpoint);

    public void ReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<IReceiveEndpointConfigurator>? configureEndpoint = null) =>
        _host.ReceiveEndpoint(definition, endpointNameFormatter, configureEndpoint);

    public void ReceiveEndpoint(string queueName, Action<IAmazonSqsReceiveEndpointConfigurator> configureEndpoint) =>
        _host.ReceiveEndpoint(queueName, configureEndpoint);

    public void ReceiveEndpoint(string queueName, Action<IReceiveEndpointConfigurator> configureEndpoint) =>
        _host.ReceiveEndpoint(queueName, configureEndpoint);

    public IReceiveEndpointConfiguration CreateBusEndpointConfiguration(Action<IReceiveEndpointConfigurator> configure) =>
        _host.CreateReceiveEndpointConfiguration(_busSettings, _busConfiguration.BusEndpointConfiguration, configure);
}
