using Bus.Persistence.Outbox;
using Bus.Pipeline;
using Bus.Stages;
using Bus.Transport.AmazonSqs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bus.Host;

/// <summary>What every host has whatever its stages: readiness checks and OpenTelemetry (exported by OTLP when configured).</summary>
public static class HostDefaultsExtensions
{
    public static WebApplicationBuilder AddBusHostDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        var services = builder.Services;
        var health = services.AddHealthChecks().AddCheck<PipelineHealthCheck>("pipeline-database", tags: ["ready"]);
        // A host that serves models (deployment or serving) is ready only while it serves what the registry names.
        if (services.Any(d => d.ServiceType == typeof(ChampionFollower)))
            health.AddCheck<ServingHealthCheck>("serving", tags: ["ready"]);
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t =>
            {
                t.AddSource("MassTransit", "Bus.Ml", StageTracing.SourceName, TransportTracing.SourceName).AddAspNetCoreInstrumentation();
                if (otlp)
                    t.AddOtlpExporter();
            })
            .WithMetrics(m =>
            {
                m.AddMeter("MassTransit", TransportMetrics.MeterName, OutboxMetrics.MeterName, PipelineMetrics.MeterName, StageMetrics.MeterName,
                    InferenceMetrics.MeterName, VersionGauges.MeterName);
                if (otlp)
                    m.AddOtlpExporter();
            });
        return builder;
    }
}
