using System.Diagnostics.Metrics;
using Bus.Persistence;
using Bus.Pipeline;
using Bus.Shared;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bus.Stages.Lifecycle;

/// <summary>
/// <c>bus.pipeline.versions</c> (meter <c>Bus.Pipeline.Versions</c>): how many versions of each model name are in each
/// state, counted in the pipeline database every 30 s (<c>Bus:Observability:VersionCountInterval</c>) by hosts that run
/// the lifecycle stage. A growing Evaluating or
/// AwaitingApproval count is work piling up; Failed is what someone should read.
/// </summary>
public sealed class VersionGauges : BackgroundService
{
    public const string MeterName = "Bus.Pipeline.Versions";
    static readonly Meter Meter = new(MeterName);
    static IReadOnlyList<(string? Model, string? State, long Count)> _counts = [];
    readonly SagaStore<ModelLifecycleState> _store;
    readonly ILogger<VersionGauges> _logger;
    readonly TimeSpan _interval;

    static VersionGauges() =>
        Meter.CreateObservableGauge("bus.pipeline.versions", () => _counts.Select(c => new Measurement<long>(c.Count,
            new KeyValuePair<string, object?>("bus.model.name", c.Model), new KeyValuePair<string, object?>("bus.state", c.State))), "{version}",
            "Model versions in each state, per model name");

    public VersionGauges(SagaStore<ModelLifecycleState> store, ILogger<VersionGauges> logger, IOptions<ObservabilityOptions> options)
    {
        _store = store;
        _logger = logger;
        _interval = options.Value.VersionCountInterval;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Sampling.RunAsync(_interval, async ct => _counts = await _store.CountByStateAsync(ModelLifecycleStateDefinition.ModelNameColumn, ct)
            .ConfigureAwait(false), ex => _logger.LogDebug(ex, "Could not count the versions by state"), stoppingToken);
}
