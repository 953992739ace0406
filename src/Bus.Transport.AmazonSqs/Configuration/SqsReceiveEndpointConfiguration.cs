using Bus.Transport.AmazonSqs.Topology;
using Bus.Transport.AmazonSqs.Transport;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Middleware;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Configuration;

sealed class SqsReceiveEndpointConfiguration : ReceiveEndpointConfiguration, IAmazonSqsReceiveEndpointConfigurator
{
    readonly SqsHostConfiguration _host;
    readonly SqsEndpointConfiguration _endpointConfiguration;

    public SqsReceiveEndpointConfiguration(SqsHostConfiguration host, SqsReceiveSettings settings, SqsEndpointConfiguration endpointConfiguration)
        : base(host, endpointConfiguration)
    {
        _host = host;
        _endpointConfiguration = endpointConfiguration;
        Settings = settings;
    }

    public SqsReceiveSettings Settings { get; }
    public SqsHostConfiguration Host => _host;
    public new SqsTopologyConfiguration Topology => _endpointConfiguration.Topology;

    public override Uri HostAddress => _host.HostAddress;
    public override Uri InputAddress => new SqsEndpointAddress(_host.Settings.Region, Settings.QueueName, SqsEntityKind.Queue).ToUri();

    public override ReceiveEndpointContext CreateReceiveEndpointContext() => CreateSqsContext();

    SqsReceiveEndpointContext CreateSqsContext()
    {
        var builder = new SqsReceiveEndpointBuilder(this);
        ApplySpecifications(builder);
        Settings.PrefetchCount = PrefetchCount;
        Settings.ConcurrentMessageLimit = ConcurrentMessageLimit;
        return new SqsReceiveEndpointContext(_host, this);
    }

    public void Build(IHost host)
    {
        var context = CreateSqsContext();
        var pipe = Pipe.New<ClientContext>(p =>
        {
            p.UseFilter(new ConfigureQueueTopologyFilter(context));
            p.UseFilter(new ReceiveEndpointDependencyFilter<ClientContext>(context));
            p.UseFilter(new SqsConsumerFilter(context));
        });
        var transport = new ReceiveTransport<ClientContext>(_host, context, () => context.Supervisor, pipe);
        var receiveEndpoint = new ReceiveEndpoint(transport, context);
        ((BaseHost)host).AddReceiveEndpoint(Settings.QueueName, receiveEndpoint);
        ReceiveEndpoint = receiveEndpoint;
    }

    public override IEnumerable<ValidationResult> Validate()
    {
        foreach (var result in base.Validate())
            yield return result.WithParentKey(Settings.QueueName);
        var physical = _host.PhysicalQueueName(Settings.QueueName);
        if (!EntityNames.IsValid(physical, EntityNames.MaxQueueNameLength))
            yield return this.Failure(Settings.QueueName, "is not a valid SQS queue name");
        if (Settings.WaitTimeSeconds is < 0 or > 20)
            yield return this.Failure(Settings.QueueName, "WaitTimeSeconds must be 0-20");
        if (Settings.VisibilityTimeoutSeconds is < 1 or > 43_200)
            yield return this.Failure(Settings.QueueName, "VisibilityTimeoutSeconds must be 1-43200");
        if (PrefetchCount <= 0)
            yield return this.Failure(Settings.QueueName, "PrefetchCount must be at least 1");
    }

    public int WaitTimeSeconds { set => Settings.WaitTimeSeconds = value; }
    public int VisibilityTimeoutSeconds { set => Settings.VisibilityTimeoutSeconds = value; }
    public int MaxReceiveCount { set => Settings.MaxReceiveCount = value; }

    public TimeSpan MaxVisibilityExtension
    {
        set => Settings.MaxVisibilityExtension = value > TimeSpan.FromHours(12) ? TimeSpan.FromHours(12) : value;
    }

    public void Subscribe(string topicName, string? filterPolicy = null) =>
        Settings.AddSubscription(new TopicSubscription(topicName, null, true, filterPolicy));

    public void Subscribe<T>(string? filterPolicy = null)
        where T : class =>
        Settings.AddSubscription(SubscriptionFor<T>() with { FilterPolicy = filterPolicy });

    public TopicSubscription SubscriptionFor<T>()
        where T : class =>
        _host.PlainJsonTypes.ContainsKey(typeof(T))
            ? new(Topology.Publish.TopicName<T>(), MessageUrn.ForTypeString<T>(), false, null) { PlainJsonType = typeof(T) }
            : new(Topology.Publish.TopicName<T>(), MessageUrn.ForTypeString<T>(), true, null);
}
