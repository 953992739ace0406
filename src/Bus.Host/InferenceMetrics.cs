using System.Diagnostics.Metrics;

namespace Bus.Host;

/// <summary>
/// The prediction endpoint's meter (<c>Bus.Inference</c>): requests by model, version and outcome (ok, bad_request,
/// not_found, too_large, at_capacity, error, model_error: the model answered NaN or infinity) and their latency, so a bad
/// version shows up as its own error rate.
/// </summary>
public static class InferenceMetrics
{
    public const string MeterName = "Bus.Inference";
    static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("bus.inference.requests", "{request}",
        "Prediction requests, per model name, version and outcome");
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("bus.inference.duration", "s",
        "Prediction latency (waiting for a free inference slot included), per model name, version and outcome");

    public static readonly Counter<long> Feedback = Meter.CreateCounter<long>("bus.inference.feedback", "{label}",
        "Labels sent for predictions, per model name and outcome (accepted, unknown: an id never given or past its window)");

    internal static void RecordFeedback(string model, string outcome) => Feedback.Add(1, [new("bus.model.name", model), new("bus.outcome", outcome)]);

    internal static void Record(string model, string? version, string outcome, TimeSpan elapsed)
    {
        KeyValuePair<string, object?>[] tags = [new("bus.model.name", model), new("bus.model.version", version ?? "-"), new("bus.outcome", outcome)];
        Requests.Add(1, tags);
        Duration.Record(elapsed.TotalSeconds, tags);
    }
}
