using System.Diagnostics;
using Bus.Ml.Data;

namespace Bus.Ml;

/// <summary>Runs a model over an evaluation set in batches and measures it.</summary>
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
        var sample = ShapeFor(model, set.InputShape, set.SampleSize);
        var accumulator = new ClassificationMetrics.Accumulator(set.Classes);
        var buffer = new float[batchSize * set.SampleSize];
        for (var start = 0; start < set.Features.Length; start += batchSize)
        {
            var count = Math.Min(batchSize, set.Features.Length - start);
            for (var i = 0; i < count; i++)
                set.Features[start + i].CopyTo(buffer, i * set.SampleSize);
            var input = count == batchSize ? buffer : buffer[..(count * set.SampleSize)];
            var rows = model.Predict(input, count, sample, cancellationToken);
            for (var i = 0; i < count; i++)
                accumulator.Add(rows[i], set.Labels[start + i], start + i);
        }

        var metrics = accumulator.Result();
        Describe(span, metrics.SampleCount, "accuracy", metrics.Accuracy);
        return metrics;
    }

    /// <summary>
    /// Runs the model over a set of any format, batch by batch (a streamed set is never held whole), and measures it as
    /// <paramref name="task"/>; <paramref name="threshold"/> is a binary classifier's decision threshold.
    /// </summary>
    public static EvaluationResult Evaluate(OnnxModel model, EvaluationData data, string task, double threshold = 0.5, int batchSize = 64,
        CancellationToken cancellationToken = default, ArtifactLimits? limits = null)
    {
        var maxClasses = (limits ?? ArtifactLimits.Default).MaxClasses;
        using var span = Activity.StartActivity("evaluate");
        span?.SetTag("bus.task", task);
        if (model.IsDynamic && data.InputShape is null)
            throw new ModelConversionException($"the model's input [{OnnxModel.Describe(model.InputShape)}] has open dimensions: evaluate it on a JSON " +
                "set, whose inputShape gives the samples' shape");
        var shapeOfSamples = data.InputShape is { } shape ? ShapeFor(model, shape, shape.Aggregate(1, (a, b) => a * b)) : null;
        if (!EvaluationTask.All.Contains(task, StringComparer.Ordinal))
            throw new ModelConversionException($"unknown evaluation task '{task}' ({string.Join(", ", EvaluationTask.All)})");
        var binary = task == EvaluationTask.Binary ? new BinaryMetrics(threshold) : null;
        var regression = task == EvaluationTask.Regression ? new RegressionMetrics() : null;
        ClassificationMetrics.Accumulator? multiclass = null;
        long sample = 0;
        foreach (var batch in data.Batches(batchSize, cancellationToken))
        {
            if (shapeOfSamples is null && batch.SampleSize != model.InputSize)
                throw new ModelConversionException($"shape mismatch: the model takes [{string.Join(",", model.InputShape)}] ({model.InputSize} values) per " +
                    $"sample, the evaluation set has {batch.SampleSize}");
            var rows = model.Predict(batch.Features, batch.Count, shapeOfSamples, cancellationToken);
            for (var i = 0; i < batch.Count; i++, sample++)
            {
                var target = batch.Targets.AsSpan(i * batch.TargetWidth, batch.TargetWidth);
                if (regression is not null)
                    regression.Add(rows[i], target, sample);
                else if (binary is not null)
                    binary.Add(BinaryScore(rows[i], sample), BinaryLabel(target, sample), sample);
                else
                {
                    // The classes: as the set declares them, else as many as the model's outputs.
                    multiclass ??= new ClassificationMetrics.Accumulator(data.Classes ?? Classes(rows[i].Length, maxClasses));
                    multiclass.Add(rows[i], ValidationSet.ClassOf(target.ToArray(), sample), sample);
                }
            }
        }

        var result = regression?.Result() ?? binary?.Result() ?? multiclass?.Result().ToResult()
            ?? throw new ModelConversionException("no samples to evaluate");
        var headline = EvaluationTask.Headline(task);
        Describe(span, result.SampleCount, headline, result.Metrics.GetValueOrDefault(headline));
        return result;
    }

    /// <summary>The shape samples run in: the set's, which must fit a model with open dimensions and match a static one's size.</summary>
    static int[] ShapeFor(OnnxModel model, int[] setShape, int setSize)
    {
        if (model.IsDynamic)
        {
            try
            {
                return model.SampleShape(setShape);
            }
            catch (ModelConversionException ex)
            {
                throw new ModelConversionException($"shape mismatch: {ex.Message}", ex);
            }
        }

        return model.InputSize == setSize ? model.InputShape : throw new ModelConversionException(
            $"shape mismatch: the model takes [{string.Join(",", model.InputShape)}] per sample, the evaluation set has [{string.Join(",", setShape)}]");
    }

    static int Classes(int outputs, int max) => outputs >= 2 && outputs <= max ? outputs
        : throw new ModelConversionException($"the model outputs {outputs:N0} values per sample; a multiclass model has between 2 and {max:N0} classes");

    /// <summary>A binary classifier's probability of class 1: its one sigmoid output, or the second of two softmax columns.</summary>
    static float BinaryScore(float[] row, long sample) => row.Length switch
    {
        1 => row[0],
        2 => row[1],
        _ => throw new ModelConversionException($"a binary classifier outputs 1 value (a sigmoid) or 2 (a softmax); this model outputs {row.Length} " +
            $"(sample {sample})"),
    };

    static bool BinaryLabel(ReadOnlySpan<float> target, long sample) => target is [0f] ? false : target is [1f] ? true
        : throw new ModelConversionException($"label of sample {sample} is not 0 or 1 ({string.Join(",", target.ToArray().Take(4))})");

    static void Describe(Activity? span, int samples, string metric, double value)
    {
        span?.SetTag("bus.samples", samples);
        if (span is not null && DateTime.UtcNow - span.StartTimeUtc is { TotalSeconds: > 0 } elapsed)
            span.SetTag("bus.samples_per_second", samples / elapsed.TotalSeconds);
        span?.SetTag($"bus.{metric}", value);
    }
}
