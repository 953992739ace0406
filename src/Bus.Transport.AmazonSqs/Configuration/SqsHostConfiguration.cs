using System.Collections.Concurrent;
using Bus.Transport.AmazonSqs.Topology;
using Bus.Transport.AmazonSqs.Transport;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Configuration;

sealed class SqsHostConfiguration : BaseHostConfiguration<SqsReceiveEndpointConfiguration, IAmazonSqsReceiveEndpointConfigurator>
{
    readonly SqsBusConfiguration _busConfiguration;
    readonly SqsTopologyConfiguration _topology;
    readonly SqsBusTopology _busTopology;
    readonly Lazy<SqsEntityClient> _client;
    readonly MassTransit.Util.Recycle<ClientContextSupervisor> _supervisor;

    public SqsHostConfiguration(SqsBusConfiguration busConfiguration, SqsTopologyConfiguration topology)
        : base(busConfiguration)
    {
        _busConfiguration = busConfiguration;
        _topology = topology;
        _busTopology = new SqsBusTopology(this, topology);
        _client = new Lazy<SqsEntityClient>(() => new SqsEntityClient(Settings), LazyThreadSafetyMode.ExecutionAndPublication);
        _supervisor = new MassTransit.Util.Recycle<ClientContextSupervisor>(() => new ClientContextSupervisor(() => Client));

        // Stopping is bounded: consumers get 30 s to finish (their messages become visible again after that), the bus 60 s.
        ConsumerStopTimeout = TimeSpan.FromSeconds(30);
        StopTimeout = TimeSpan.FromSeconds(60);

        // An endpoint whose queue cannot be reached (AWS or the emulator away) is restarted with backoff, forever.
        ReceiveTransportRetryPolicy = Retry.CreatePolicy(x =>
        {
            x.Ignore<OperationCanceledException>();
            x.Exponential(int.MaxValue, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        });
    }

    public AmazonSqsHostSettings Settings { get; } = new();
    public SqsPublishTopology PublishTopology => _topology.Publish;
    public SqsEntityClient Client => _client.Value;
    public ClientContextSupervisor Supervisor => _supervisor.Supervisor;

    /// <summary>Message types that non-MassTransit producers may publish as plain JSON, with their logical topic names.</summary>
    public ConcurrentDictionary<Type, Func<string>> PlainJsonTypes { get; } = new();

    /// <summary>The producers' rule of an ingress type, where one was given: the reason a body is refused, or null.</summary>
    public ConcurrentDictionary<Type, Func<object, string?>> PlainJsonRules { get; } = new();

    /// <summary>
    /// Whether the physical topic carries plain JSON only (an ingress topic): what this bus publishes there is sent as
    /// the bare message too, so that every subscriber can refuse anything else.
    /// </summary>
    public bool IsPlainJsonTopic(string physicalTopicName) =>
        PlainJsonTypes.Values.Any(name => string.Equals(PhysicalTopicName(name()), physicalTopicName, StringComparison.Ordinal));

    public MessageAttributeConventions Attributes { get; } = new();

    public override Uri HostAddress => new($"{SqsEndpointAddress.Scheme}://{Settings.Region}/");
    public override IBusTopology Topology => _busTopology;
    public override IRetryPolicy ReceiveTransportRetryPolicy { get; }

    /// <summary>Sends retry only what can heal (network, throttling, 5xx); a refused message (too large, bad delay) fails at once.</summary>
    public override IRetryPolicy SendTransportRetryPolicy { get; } = Retry.CreatePolicy(x =>
    {
        x.Handle<Exception>(AwsErrors.IsTransient);
        x.Exponential(6, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
    });

    public string PhysicalQueueName(string logicalName) => EntityNames.Queue(logicalName, Settings.Scope);
    public string PhysicalTopicName(string logicalName) => EntityNames.Topic(logicalName, Settings.Scope);

    public SqsReceiveEndpointConfiguration CreateReceiveEndpointConfiguration(SqsReceiveSettings settings, SqsEndpointConfiguration endpointConfiguration,
        Action<IAmazonSqsReceiveEndpointConfigurator>? configure)
    {
        var configuration = new SqsReceiveEndpointConfiguration(this, settings, endpointConfiguration);
        configure?.Invoke(configuration);
        Observers.EndpointConfigured(configuration);
        Add(configuration);
        return configuration;
    }

    public SqsReceiveEndpointConfiguration CreateReceiveEndpointConfiguration(string queueName, Action<IAmazonSqsReceiveEndpointConfigurator>? configure) =>
        CreateReceiveEndpointConfiguration(new SqsReceiveSettings(queueName), _busConfiguration.CreateEndpointConfiguration(), configure);

    public override IReceiveEndpointConfiguration CreateReceiveEndpointConfiguration(string queueName,
        Action<IReceiveEndpointConfigurator>? configure = null) =>
        CreateReceiveEndpointConfiguration(queueName, (Action<IAmazonSqsReceiveEndpointConfigurator>?)configure);

    public override void ReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<IAmazonSqsReceiveEndpointConfigurator>? configureEndpoint = null)
    {
        var queueName = definition.GetEndpointName(endpointNameFormatter ?? DefaultEndpointNameFormatter.Instance);
        ReceiveEndpoint(queueName, configurator =>
        {
            ApplyEndpointDefinition(configurator, definition);
            configureEndpoint?.Invoke(configurator);
        });
    }

    public override void ReceiveEndpoint(string queueName, Action<IAmazonSqsReceiveEndpointConfigurator>? configureEndpoint) =>
        CreateReceiveEndpointConfiguration(queueName, configureEndpoint);

    public void ApplyDefinition(IAmazonSqsReceiveEndpointConfigurator configurator, IEndpointDefinition definition) =>
        ApplyEndpointDefinition(configurator, definition);

    public override IHost Build()
    {
        var host = new SqsHost(this, _busTopology);
        foreach (var endpoint in GetConfiguredEndpoints())
            endpoint.Build(host);
        return host;
    }

    public override IEnumerable<ValidationResult> Validate()
    {
        foreach (var result in base.Validate())
            yield return result;
        if (string.IsNullOrWhiteSpace(Settings.Region))
            yield return this.Failure("Region", "must be set (e.g. us-east-1)");
        if (Settings.Scope is { Length: > 0 } scope && !EntityNames.IsValid(scope, 40))
            yield return this.Failure("Scope", "may hold only letters, digits, '-' and '_', at most 40 characters");
    }
}
