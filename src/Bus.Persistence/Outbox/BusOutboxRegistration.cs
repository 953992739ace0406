using MassTransit;
using MassTransit.Configuration;
using MassTransit.DependencyInjection;
using MassTransit.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bus.Persistence.Outbox;

public static class BusOutboxRegistration
{
    /// <summary>
    /// The transactional inbox and outbox on one database (SQLite file or PostgreSQL, by connection string), on
    /// every receive endpoint that <c>ConfigureEndpoints</c> creates, plus the bus outbox for scopes outside a
    /// consumer, plus the delivery and cleanup services. Saga repositories on the same connection string join its transaction.
    /// </summary>
    public static IBusRegistrationConfigurator AddBusOutbox(this IBusRegistrationConfigurator configurator, string connectionString,
        Action<BusOutboxOptions>? configure = null)
    {
        configurator.TryAddSingleton(new BusDatabase(connectionString));
        configurator.TryAddSingleton<OutboxSignal>();
        // The host binds the Bus:Outbox section; the library checks it at start.
        configurator.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BusOutboxOptions>, BusOutboxOptionsValidator>());
        var options = OptionsServiceCollectionExtensions.AddOptions<BusOutboxOptions>(configurator).ValidateOnStart();
        if (configure is not null)
            options.Configure(configure);
        configurator.TryAddScoped<BusUnitOfWork>();
        configurator.TryAddScoped<IOutboxContextFactory<BusUnitOfWork>, BusOutboxContextFactory>();
        configurator.TryAddSingleton<OutboxDeliveryService>();
        configurator.AddHostedService(sp => sp.GetRequiredService<OutboxDeliveryService>());
        configurator.TryAddSingleton<OutboxCleanup>();
        configurator.AddHostedService<OutboxCleanupService>();
        configurator.Replace(ServiceDescriptor.Scoped<IScopedBusContextProvider<IBus>, BusOutboxScopedBusContextProvider>());
        configurator.AddConfigureEndpointsCallback((context, _, endpoint) =>
        {
            endpoint.UseDatabaseRetry();
            endpoint.UseBusInbox(context);
        });
        return configurator;
    }

    /// <summary>
    /// The pipeline database unreachable or failing over is a transient fault for every consumer on the endpoint: the
    /// message is held (its SQS visibility extended) and tried again for about three and a half minutes, growing pauses
    /// from one second to thirty, before it goes to the error queue. Without this an inbox claim that meets a database
    /// restart would send an announcement or a deployment straight to <c>_error</c>.
    /// </summary>
    public static void UseDatabaseRetry(this IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<System.Data.Common.DbException>();
            r.Exponential(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        });

    /// <summary>Puts the inbox/outbox on one receive endpoint's consumers and sagas (done for all by <see cref="AddBusOutbox"/>).</summary>
    public static void UseBusInbox(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context,
        Action<IOutboxOptionsConfigurator>? configure = null)
    {
        var observer = new OutboxConsumePipeSpecificationObserver<BusUnitOfWork>(endpoint, context);
        configure?.Invoke(observer);
        endpoint.ConnectConsumerConfigurationObserver(observer);
        endpoint.ConnectSagaConfigurationObserver(observer);
    }
}
