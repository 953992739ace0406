using System.Text.Json;

namespace Bus.Ml.Data;

/// <summary>
/// Bus's JSON set, read whole into memory: <c>{ "inputShape": [8,8,1], "classes": 10, "features": [[...]], "labels": [...] }</c>.
/// Labels are numbers (a class, a 0/1 label, a regression target) or, for several regression targets, arrays.
/// </summary>
public sealed class JsonEvaluationData : EvaluationData
{
    readonly int[] _shape;
    readonly int? _classes;

    /// <summary>A set already in memory, as Bus's JSON parses into (<see cref="ValidationSet.ToEvaluationData"/> makes one).</summary>
    public JsonEvaluationData(int[] shape, int? classes, float[][] features, float[][] targets)
    {
        (_shape, _classes, Features, Targets) = (shape, classes, features, targets);
    }

    public override int[] InputShape => _shape;

    public override int? Classes => _classes;

    public float[][] Features { get; }

    public float[][] Targets { get; }

    public int SampleSize => _shape.Aggregate(1, (a, b) => a * b);

    /// <summary>The samples in batches, copied straight from the rows held (the set was checked as it was parsed).</summary>
    public override IEnumerable<DataBatch> Batches(int batchSize, CancellationToken cancellationToken = default)
    {
        var (size, width) = (SampleSize, Targets[0].Length);
        var features = new float[batchSize * size];
        var targets = new float[batchSize * width];
        for (var start = 0; start < Features.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(batchSize, Features.Length - start);
            for (var i = 0; i < count; i++)
            {
                Features[start + i].CopyTo(features, i * size);
                Targets[start + i].CopyTo(targets, i * width);
            }

            yield return count == batchSize ? new DataBatch(features, targets, count, size, width)
                : new DataBatch(features[..(count * size)], targets[..(count * width)], count, size, width);
        }
    }

    /// <summary>Reads and checks a set: sizes against <paramref name="limits"/> before anything is allocated for them.</summary>
    public static JsonEvaluationData Parse(byte[] json, ArtifactLimits limits)
    {
        limits.CheckBytes(json.Length, limits.MaxDataSetBytes, "the validation set");
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var shape = root.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            if (shape.Length == 0)
                throw new ModelConversionException("the validation set's inputShape is empty");
            var sampleSize = (int)ArtifactLimits.Elements(shape.Select(d => (long)d), Math.Min(limits.MaxTensorElements, int.MaxValue / 64),
                "the validation set's inputShape");

            var featureRows = root.GetProperty("features");
            var labelValues = root.GetProperty("labels");
            var samples = featureRows.GetArrayLength();
            if (samples != labelValues.GetArrayLength())
                throw new ModelConversionException($"the validation set has {samples} samples but {labelValues.GetArrayLength()} labels");
            if (samples == 0)
                throw new ModelConversionException("the validation set has no samples");
            if (samples > limits.MaxValidationSamples)
                throw new ModelConversionException($"the validation set has {samples:N0} samples; the limit is {limits.MaxValidationSamples:N0}");

            var targets = new float[samples][];
            var i = 0;
            foreach (var value in labelValues.EnumerateArray())
            {
                targets[i] = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(v => v.GetSingle()).ToArray() : [value.GetSingle()];
                if (targets[i].Length != targets[0].Length || targets[i].Length == 0)
                    throw new ModelConversionException($"label {i} has {targets[i].Length} values; the first has {targets[0].Length}");
                i++;
            }

            var features = new float[samples][];
            i = 0;
            foreach (var row in featureRows.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != sampleSize)
                    throw new ModelConversionException($"validation sample {i} does not have {sampleSize} values (input shape [{string.Join(",", shape)}])");
                var values = new float[sampleSize];
                var j = 0;
                foreach (var v in row.EnumerateArray())
                    values[j++] = v.GetSingle();
                features[i++] = values;
            }

            int? classes = root.TryGetProperty("classes", out var c) ? c.GetInt32() : null;
            if (classes is < 2 || classes > limits.MaxClasses)
                throw new ModelConversionException($"the validation set has {classes:N0} classes; between 2 and {limits.MaxClasses:N0} are accepted");
            return new JsonEvaluationData(shape, classes, features, targets);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ModelConversionException($"the validation set is not valid: {ex.Message}", ex);
        }
    }
}
