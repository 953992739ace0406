using Bus.Contracts;
using Bus.Ml;
using Bus.Persistence;
using Bus.Persistence.Outbox;
using Bus.Pipeline;
using Bus.Shared;
using Bus.Stages;
using Bus.Transport.AmazonSqs;
using Bus.Transport.AmazonSqs.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bus.Host;

/// <summary>The pipeline a Bus host runs: its options, the bus with its outbox, and the stages named in <c>Bus:Host:Stages</c>.</summary>
public static class BusHostExtensions
{
    public static WebApplicationBuilder AddBusHost(this WebApplicationBuilder builder)
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        var services = builder.Services;
        // Read while services are registered (which stages, which databases, which AWS): read once, checked at once.
        var host = services.ReadValidated<BusHostOptions, BusHostOptionsValidator>(builder.Configuration, BusHostOptions.SectionName);
        var aws = services.ReadValidated<AwsOptions, AwsOptionsValidator>(builder.Configuration, AwsOptions.SectionName);
        var serviceUrl = string.IsNullOrEmpty(aws.ServiceUrl) ? null : new Uri(aws.ServiceUrl);
        if (!string.IsNullOrEmpty(aws.CallLog))
            AwsCallLog.Start(aws.CallLog);
        var databases = PipelineDatabases.From(builder.Configuration, host.DataDirectory);
        var settings = new StageSettings(host.Name, databases.Registry)
        {
            PipelineConnectionString = databases.Pipeline,
            Region = aws.Region,
            ServiceUrl = serviceUrl,
            Scope = string.IsNullOrEmpty(aws.Scope) ? null : aws.Scope,
        };
        var stages = PipelineStages.Selected(host.Stages).ToList();

        services.AddSingleton(new PipelineQueueWatch(settings));
        services.AddOptions<BusOutboxOptions>().BindConfiguration(BusOutboxOptions.SectionName)
            .PostConfigure(o =>
            {
                var general = o.IsPermanent;
                o.IsPermanent = ex => general(ex) || ex is MessageTooLargeException;
            });
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.AddDelayedMessageScheduler();
            x.AddBusOutbox(databases.Pipeline);
            foreach (var stage in stages)
                stage.AddTo(x, settings);
            x.AddRequestClient<GetModelVersionStatus>(new Uri("queue:" + ModelLifecycleStateDefinition.QueueName), RequestTimeout.After(s: 10));
            x.UsingAmazonSqs((context, cfg) =>
            {
                cfg.Host(h =>
                {
                    h.Region = aws.Region;
                    h.ServiceUrl = serviceUrl;
                    h.Scope = settings.Scope;
                    h.CreateEntities = aws.CreateEntities;
                    h.AccountId = string.IsNullOrEmpty(aws.AccountId) ? null : aws.AccountId;
                    h.QueueDepthInterval = aws.QueueDepthInterval;
                });
                StageEntityNameFormatter.Apply(cfg);
                cfg.AcceptPlainJson<TrainingCompleted>(m => ModelVersionKey.Problem(m.ModelName, m.ModelVersion));
                cfg.UseDelayedMessageScheduler();
                cfg.ConfigureEndpoints(context);
            });
        });
        // The models API answers on every host: empty where this host serves nothing.
        services.TryAddSingleton<ModelServer>();
        builder.AddBusHostDefaults(host.Name, stages);
        return builder;
    }
}
