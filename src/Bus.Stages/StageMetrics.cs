using System.Diagnostics.Metrics;

namespace Bus.Stages;

/// <summary>The stages' meter (<c>Bus.Stages</c>): how long evaluations take and how fast they run, per model name.</summary>
public static class StageMetrics
{
    public const string MeterName = "Bus.Stages";
    static readonly Meter Meter = new(MeterName);

    public static readonly Histogram<double> EvaluationDuration = Meter.CreateHistogram<double>("bus.evaluation.duration", "s",
        "Loading, converting and running one model over the evaluation set, per model name and role (candidate, champion)");
    public static readonly Histogram<double> EvaluationThroughput = Meter.CreateHistogram<double>("bus.evaluation.throughput", "{sample}/s",
        "Samples evaluated per second, per model name and role");

    internal static void Evaluated(string model, string role, TimeSpan elapsed, int samples)
    {
        KeyValuePair<string, object?>[] tags = [new("bus.model.name", model), new("bus.role", role)];
        EvaluationDuration.Record(elapsed.TotalSeconds, tags);
        if (elapsed > TimeSpan.Zero)
            EvaluationThroughput.Record(samples / elapsed.TotalSeconds, tags);
    }
}
