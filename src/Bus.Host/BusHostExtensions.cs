using Bus.Contracts;
using Bus.Ml;
using Bus.Persistence;
using Bus.Persistence.Outbox;
using Bus.Pipeline;
using Bus.Registry;
using Bus.Stages;
using Bus.Transport.AmazonSqs;
using MassTransit;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bus.Host;

/// <summary>The defaults every Bus host gets: options, telemetry, health, the bus and the configured stages.</summary>
public static class BusHostExtensions
{
    public static WebApplicationBuilder AddBusHost(this WebApplicationBuilder builder)
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        var services = builder.Services;
        services.AddOptions<BusHostOptions>().BindConfiguration(BusHostOptions.SectionName)
            .Validate(o => o.Stages.All(BusHostOptions.KnownStages.Contains), $"Bus:Host:Stages may name only: {string.Join(", ", BusHostOptions.KnownStages)}")
            .ValidateOnStart();
        services.AddOptions<AwsOptions>().BindConfiguration(AwsOptions.SectionName)
            .Validate(o => string.IsNullOrEmpty(o.ServiceUrl) || Uri.TryCreate(o.ServiceUrl, UriKind.Absolute, out _),
                "Bus:Aws:ServiceUrl must be an absolute URL")
            .ValidateOnStart();
        services.AddOptions<ModelLifecycleOptions>().BindConfiguration(ModelLifecycleOptions.SectionName).ValidateOnStart();
        services.AddOptions<TaggingOptions>().BindConfiguration("Bus:Tagging");

        var host = builder.Configuration.GetSection(BusHostOptions.SectionName).Get<BusHostOptions>() ?? new BusHostOptions();
        var aws = builder.Configuration.GetSection(AwsOptions.SectionName).Get<AwsOptions>() ?? new AwsOptions();
        var serviceUrl = string.IsNullOrEmpty(aws.ServiceUrl) ? null : new Uri(aws.ServiceUrl);

        services.AddSingleton(new StageIdentity(host.Name));
        services.AddOptions<EvaluationOptions>().BindConfiguration(EvaluationOptions.SectionName)
            .PostConfigure(o => o.Scope = string.IsNullOrEmpty(aws.Scope) ? null : aws.Scope)
            .Validate(o => o.Timeout > TimeSpan.Zero, "Bus:Evaluation:Timeout must be positive")
            .Validate(o => o.Models.Keys.All(ModelVersionKey.IsValid), "Bus:Evaluation:Models may name only valid model names")
            .ValidateOnStart();
        services.AddSingleton(sp => new S3ArtifactStore(
            S3ArtifactStore.CreateClient(Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentials(), aws.Region, serviceUrl),
            sp.GetRequiredService<IOptions<EvaluationOptions>>().Value.ExpectedBucketOwner));
        services.AddSingleton<ModelServer>();
        services.AddOptions<ServingOptions>().BindConfiguration(ServingOptions.SectionName);

        // One database for the saga state, the inbox and the outbox: SQLite under the data directory by default,
        // PostgreSQL when Bus:Persistence:ConnectionString names a Host (several hosts sharing one pipeline).
        var connectionString = builder.Configuration["Bus:Persistence:ConnectionString"] is { Length: > 0 } configured
            ? configured
            : $"Data Source={Path.Combine(host.DataDirectory, "bus.db")}";
        services.AddOptions<BusOutboxOptions>().BindConfiguration(BusOutboxOptions.SectionName)
            .PostConfigure(o =>
            {
                var general = o.IsPermanent;
                o.IsPermanent = ex => general(ex) || ex is Bus.Transport.AmazonSqs.MessageTooLargeException;
            });

        // The model registry (the production alias per model name) lives with the pipeline when that is PostgreSQL, so
        // deployment hosts on several machines share one alias and one revision sequence; on SQLite it is a file
        // beside the pipeline's. Bus:Registry:ConnectionString overrides both.
        var registryConnection = builder.Configuration["Bus:Registry:ConnectionString"] is { Length: > 0 } registry ? registry
            : SqlDialect.For(connectionString).Name == "postgresql" ? connectionString
            : $"Data Source={Path.Combine(host.DataDirectory, "registry.db")}";
        services.AddSingleton(_ => ModelRegistry.Connect(registryConnection));
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.AddDelayedMessageScheduler();
            x.AddBusOutbox(connectionString);
            if (host.Runs("lifecycle"))
            {
                x.AddModelLifecycleSaga().BusRepository(connectionString, ModelLifecycleStateDefinition.TableName, s => s.CurrentState,
                    new IndexedColumn<ModelLifecycleState>(ModelLifecycleStateDefinition.ModelNameColumn, s => s.ModelName));
            }
            if (host.Runs("evaluation"))
                x.AddEvaluationStage();
            if (host.Runs("deployment"))
                x.AddDeploymentStage(servingHost: host.Name);
            else if (host.Runs("serving"))
                x.AddServingStage(host.Name);
            if (host.Runs("tagging"))
                x.AddTaggingStage();
            x.AddRequestClient<GetModelVersionStatus>(new Uri("queue:" + ModelLifecycleStateDefinition.QueueName), RequestTimeout.After(s: 10));
            x.UsingAmazonSqs((context, cfg) =>
            {
                cfg.Host(h =>
                {
                    h.Region = aws.Region;
                    h.ServiceUrl = serviceUrl;
                    h.Scope = string.IsNullOrEmpty(aws.Scope) ? null : aws.Scope;
                });
                StageEntityNameFormatter.Apply(cfg);
                cfg.AcceptPlainJson<TrainingCompleted>();
                cfg.UseDelayedMessageScheduler();
                cfg.ConfigureEndpoints(context);
            });
        });

        var health = services.AddHealthChecks().AddCheck<PipelineHealthCheck>("pipeline-database", tags: ["ready"]);
        if (host.Runs("deployment") || host.Runs("serving"))
            health.AddCheck<ServingHealthCheck>("serving", tags: ["ready"]);
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(host.Name))
            .WithTracing(t =>
            {
                t.AddSource("MassTransit", "Bus.Ml").AddAspNetCoreInstrumentation();
                if (otlp)
                    t.AddOtlpExporter();
            })
            .WithMetrics(m =>
            {
                m.AddMeter("MassTransit", TransportMetrics.MeterName, OutboxDeliveryService.MeterName);
                if (otlp)
                    m.AddOtlpExporter();
            });
        return builder;
    }
}
