using System.Diagnostics;

namespace Bus.Ml;

/// <summary>Runs a model over a validation set in batches and measures it.</summary>
public static class Evaluator
{
    public static readonly ActivitySource Activity = new("Bus.Ml");

    /// <summary>
    /// Runs the model over the set. <paramref name="cancellationToken"/> is the deadline: ONNX Runtime stops the run
    /// in progress when it is cancelled, so no model keeps an evaluator busy past it.
    /// </summary>
    public static ClassificationMetrics Evaluate(OnnxModel model, ValidationSet set, int batchSize = 64, CancellationToken cancellationToken = default)
    {
        using var span = Activity.StartActivity("evaluate");
        if (model.InputSize != set.SampleSize)
            throw new ModelConversionException($"shape mismatch: the model takes [{string.Join(",", model.InputShape)}] per sample, the validation set has " +
                $"[{string.Join(",", set.InputShape)}]");
        var predictions = new List<float[]>(set.Features.Length);
        var buffer = new float[batchSize * set.SampleSize];
        for (var start = 0; start < set.Features.Length; start += batchSize)
        {
            var count = Math.Min(batchSize, set.Features.Length - start);
            for (var i = 0; i < count; i++)
                set.Features[start + i].CopyTo(buffer, i * set.SampleSize);
            var input = count == batchSize ? buffer : buffer[..(count * set.SampleSize)];
            predictions.AddRange(model.Predict(input, count, cancellationToken));
        }

        var metrics = ClassificationMetrics.Compute(predictions, set.Labels, set.Classes);
        span?.SetTag("bus.samples", metrics.SampleCount);
        if (span is not null && DateTime.UtcNow - span.StartTimeUtc is { TotalSeconds: > 0 } elapsed)
            span.SetTag("bus.samples_per_second", metrics.SampleCount / elapsed.TotalSeconds);
        span?.SetTag("bus.accuracy", metrics.Accuracy);
        return metrics;
    }
}
