using System.Diagnostics;
using Bus.Ml.Data;

namespace Bus.Ml;

/// <summary>Runs a model over an evaluation set in batches and measures it.</summary>
public static class Evaluator
{
    public static readonly ActivitySource Activity = new("Bus.Ml");

    /// <summary>
    /// Runs the model over a set of any format, batch by batch (a streamed set is never held whole), and measures it as
    /// <paramref name="task"/>; <paramref name="threshold"/> is a binary classifier's decision threshold.
    /// <paramref name="cancellationToken"/> is the deadline: ONNX Runtime stops the run in progress when it is
    /// cancelled, so no model keeps an evaluator busy past it.
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
        ITaskMetrics metrics = task switch
        {
            EvaluationTask.Multiclass => new MulticlassMetrics(data.Classes, maxClasses),
            EvaluationTask.Binary => new BinaryMetrics(threshold),
            EvaluationTask.Regression => new RegressionMetrics(),
            _ => throw new ModelConversionException($"unknown evaluation task '{task}' ({string.Join(", ", EvaluationTask.All)})"),
        };
        // The activation budget decides how many samples run at once: fewer than asked for a model near it.
        var sampleShape = shapeOfSamples ?? model.InputShape;
        batchSize = model.Activations(sampleShape).BatchSize(batchSize, (limits ?? ArtifactLimits.Default).Activations,
            $"the model at a sample of [{OnnxModel.Describe(sampleShape)}]");
        span?.SetTag("bus.batch_size", batchSize);
        long sample = 0;
        foreach (var batch in data.Batches(batchSize, cancellationToken))
        {
            if (shapeOfSamples is null && batch.SampleSize != model.InputSize)
                throw new ModelConversionException($"shape mismatch: the model takes [{string.Join(",", model.InputShape)}] ({model.InputSize} values) per " +
                    $"sample, the evaluation set has {batch.SampleSize}");
            Add(metrics, model.Predict(batch.Features, batch.Count, shapeOfSamples, cancellationToken), batch, sample);
            sample += batch.Count;
        }

        var result = metrics.Result();
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

    /// <summary>One batch's outputs against its targets, optimised from the first batch (an evaluation is over before tiering would get to it).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static void Add(ITaskMetrics metrics, float[][] rows, DataBatch batch, long first)
    {
        for (var i = 0; i < batch.Count; i++)
            metrics.Add(rows[i], batch.Targets.AsSpan(i * batch.TargetWidth, batch.TargetWidth), first + i);
    }

    /// <summary>A multiclass set's metrics; the classes as the set declares them, else as many as the model's outputs.</summary>
    sealed class MulticlassMetrics(int? classes, int maxClasses) : ITaskMetrics
    {
        ClassificationMetrics.Accumulator? _accumulator;

        public void Add(float[] row, ReadOnlySpan<float> target, long sample)
        {
            _accumulator ??= new ClassificationMetrics.Accumulator(classes ?? (row.Length >= 2 && row.Length <= maxClasses ? row.Length
                : throw new ModelConversionException($"the model outputs {row.Length:N0} values per sample; a multiclass model has between 2 and " +
                    $"{maxClasses:N0} classes")));
            _accumulator.Add(row, ValidationSet.ClassOf(target, sample), sample);
        }

        public EvaluationResult Result() => _accumulator?.Result().ToResult() ?? throw new ModelConversionException("no samples to evaluate");
    }

    static void Describe(Activity? span, int samples, string metric, double value)
    {
        span?.SetTag("bus.samples", samples);
        if (span is not null && DateTime.UtcNow - span.StartTimeUtc is { TotalSeconds: > 0 } elapsed)
            span.SetTag("bus.samples_per_second", samples / elapsed.TotalSeconds);
        span?.SetTag($"bus.{metric}", value);
    }
}
