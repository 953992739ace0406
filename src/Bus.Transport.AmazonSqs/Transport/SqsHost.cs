using Bus.Transport.AmazonSqs.Configuration;
using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

sealed class SqsHost(SqsHostConfiguration hostConfiguration, IBusTopology busTopology)
    : BaseHost(hostConfiguration, busTopology), IHost<IAmazonSqsReceiveEndpointConfigurator>
{
    public HostReceiveEndpointHandle ConnectReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<IAmazonSqsReceiveEndpointConfigurator>? configureEndpoint = null) =>
        ConnectReceiveEndpoint(definition, endpointNameFormatter, configureEndpoint is null ? null : c =>
            configureEndpoint((IAmazonSqsReceiveEndpointConfigurator)c));

    public HostReceiveEndpointHandle ConnectReceiveEndpoint(string queueName, Action<IAmazonSqsReceiveEndpointConfigurator>? configure = null) =>
        ConnectReceiveEndpoint(queueName, configure is null ? null : c => configure((IAmazonSqsReceiveEndpointConfigurator)c));

    public override HostReceiveEndpointHandle ConnectReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<IReceiveEndpointConfigurator>? configureEndpoint = null)
    {
        var queueName = definition.GetEndpointName(endpointNameFormatter ?? DefaultEndpointNameFormatter.Instance);
        return ConnectReceiveEndpoint(queueName, configurator =>
        {
            hostConfiguration.ApplyDefinition((IAmazonSqsReceiveEndpointConfigurator)configurator, definition);
            configureEndpoint?.Invoke(configurator);
        });
    }

    public override HostReceiveEndpointHandle ConnectReceiveEndpoint(string queueName, Action<IReceiveEndpointConfigurator>? configureEndpoint = null)
    {
        var configuration = hostConfiguration.CreateReceiveEndpointConfiguration(queueName, configureEndpoint);
        configuration.Validate().ThrowIfContainsFailure("The receive endpoint configuration is invalid:");
        configuration.Build(this);
        return ReceiveEndpoints.Start(queueName);
    }

    protected override void Probe(ProbeContext context) =>
        context.Set(new
        {
            Type = "AmazonSQS",
            hostConfiguration.Settings.Region,
            ServiceUrl = hostConfiguration.Settings.ServiceUrl?.ToString(),
            hostConfiguration.Settings.Scope
        });

    protected override IAgent[] GetAgentHandles() => [hostConfiguration.Supervisor];
}
