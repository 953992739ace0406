using Bus.Transport.AmazonSqs.Configuration;
using MassTransit;

namespace Bus.Transport.AmazonSqs;

public static class AmazonSqsRegistrationExtensions
{
    /// <summary>
    /// Uses Amazon SQS and SNS as the bus transport: <c>x.UsingAmazonSqs((context, cfg) => { cfg.Host(h => h.Region = "eu-west-1");
    /// cfg.ConfigureEndpoints(context); })</c>.
    /// Works with <c>AddMassTransit</c> and <c>AddMassTransitTestHarness</c>.
    /// </summary>
    public static void UsingAmazonSqs(this IBusRegistrationConfigurator configurator, Action<IBusRegistrationContext,
        IAmazonSqsBusFactoryConfigurator>? configure = null) =>
        configurator.SetBusFactory(new SqsRegistrationBusFactory(configure));
}
