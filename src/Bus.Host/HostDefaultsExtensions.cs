using Bus.Persistence.Outbox;
using Bus.Stages;
using Bus.Transport.AmazonSqs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bus.Host;

/// <summary>What every host has whatever its stages: readiness checks and OpenTelemetry (exported by OTLP when configured).</summary>
public static class HostDefaultsExtensions
{
    /// <summary>The defaults, with the meters of the <paramref name="stages"/> the host runs (each stage adds its own health checks).</summary>
    public static WebApplicationBuilder AddBusHostDefaults(this WebApplicationBuilder builder, string serviceName, IReadOnlyList<PipelineStage> stages)
    {
        var services = builder.Services;
        services.AddHealthChecks().AddCheck<PipelineHealthCheck>("pipeline-database", tags: ["ready"]);
        services.AddSingleton<ReadinessLog>();
        ObservabilityOptions.Register(services);
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
                m.AddMeter(["MassTransit", TransportMetrics.MeterName, OutboxMetrics.MeterName, InferenceMetrics.MeterName,
                    .. stages.SelectMany(s => s.Meters)]);
                if (otlp)
                    m.AddOtlpExporter();
            });
        return builder;
    }
}
