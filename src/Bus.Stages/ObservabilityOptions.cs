using Bus.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Stages;

/// <summary>Configuration section <c>Bus:Observability</c>: what the hosts and the CLI show of the pipeline besides traces.</summary>
public sealed class ObservabilityOptions
{
    public const string SectionName = "Bus:Observability";

    /// <summary>
    /// A link to a trace viewer, with <c>{traceId}</c> where the trace id goes (Jaeger:
    /// <c>http://localhost:16686/trace/{traceId}</c>): the dashboard and <c>bus trace</c> link each trace there. Unset: no links.
    /// </summary>
    public string? TraceUrl { get; set; }

    /// <summary>How often hosts that run the lifecycle count the versions in each state (<c>bus.pipeline.versions</c>).</summary>
    public TimeSpan VersionCountInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Binds the section for every host (the dashboard's links, the lifecycle's gauges), checked at start.</summary>
    public static void Register(IServiceCollection services) =>
        services.AddValidatedOptions<ObservabilityOptions, ObservabilityOptionsValidator>(SectionName);
}
