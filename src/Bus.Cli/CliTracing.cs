using System.Diagnostics;
using Bus.Transport.AmazonSqs;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bus.Cli;

/// <summary>
/// Tracing for commands that start a trace (`bus publish`): spans are made (so the announcement carries a traceparent)
/// and exported by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; a command run inside a trace (<c>TRACEPARENT</c>,
/// <c>TRACESTATE</c> in its environment) continues it.
/// </summary>
static class CliTracing
{
    public const string SourceName = "Bus.Cli";

    public static readonly ActivitySource Source = new(SourceName);

    public static TracerProvider Start()
    {
        var builder = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(r => r.AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? "bus-cli"))
            .AddSource(SourceName, TransportTracing.SourceName);
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
            builder.AddOtlpExporter();
        return builder.Build();
    }

    /// <summary>The trace this command runs in, from TRACEPARENT and TRACESTATE; none when they are absent or malformed.</summary>
    public static ActivityContext Parent() =>
        ActivityContext.TryParse(Environment.GetEnvironmentVariable("TRACEPARENT"), Environment.GetEnvironmentVariable("TRACESTATE"), isRemote: true,
            out var parent)
            ? parent
            : default;
}
