using System.Diagnostics.Metrics;

namespace Bus.Pipeline;

/// <summary>
/// The pipeline's own latency, on the meter <c>Bus.Pipeline</c>: for each transition of a version, the time since the
/// lifecycle received its <c>training-complete</c>, tagged with the model's name and the state reached. Recorded when the
/// saga makes the transition (a transaction retried after a conflict may record it twice).
/// </summary>
public static class PipelineMetrics
{
    public const string MeterName = "Bus.Pipeline";
    static readonly Meter Meter = new(MeterName);

    public static readonly Histogram<double> TimeToState = Meter.CreateHistogram<double>("bus.pipeline.time_to_state", "s",
        "From training-complete (as the lifecycle received it) to each state, per model name and state");

    public static readonly Counter<long> Reannouncements = Meter.CreateCounter<long>("bus.pipeline.reannouncements", "{announcement}",
        "Known versions announced again with another artifact (refused), per model name");

    public static void Reannounced(string modelName) => Reannouncements.Add(1, new KeyValuePair<string, object?>("bus.model.name", modelName));

    internal static void Reached(ModelLifecycleState saga, string state, DateTimeOffset at)
    {
        if (saga.CreatedAt == default)
            return;
        TimeToState.Record(Math.Max(0, (at - saga.CreatedAt).TotalSeconds), new KeyValuePair<string, object?>("bus.model.name", saga.ModelName),
            new KeyValuePair<string, object?>("bus.state", state));
    }
}
