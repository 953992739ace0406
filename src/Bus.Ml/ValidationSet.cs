using System.Text.Json;

namespace Bus.Ml;

/// <summary>A labelled set in Bus's JSON shape: <c>{ "inputShape": [8,8,1], "classes": 10, "features": [[...]], "labels": [...] }</c>.</summary>
public sealed record ValidationSet(int[] InputShape, int Classes, float[][] Features, int[] Labels)
{
    public int SampleSize => InputShape.Aggregate(1, (a, b) => a * b);

    public static ValidationSet Parse(byte[] json) => Parse(json, ArtifactLimits.Default);

    /// <summary>Reads and checks a set: sizes against <paramref name="limits"/> before anything is allocated for them, every label in 0..classes-1.</summary>
    public static ValidationSet Parse(byte[] json, ArtifactLimits limits)
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

            var labels = new int[samples];
            var i = 0;
            foreach (var value in labelValues.EnumerateArray())
                labels[i++] = value.GetInt32();

            var classes = root.TryGetProperty("classes", out var c) ? c.GetInt32() : labels.Max() >= limits.MaxClasses
                ? limits.MaxClasses + 1 : labels.Max() + 1;
            if (classes < 2 || classes > limits.MaxClasses)
                throw new ModelConversionException($"the validation set has {classes:N0} classes; between 2 and {limits.MaxClasses:N0} are accepted");
            for (i = 0; i < labels.Length; i++)
            {
                if (labels[i] < 0 || labels[i] >= classes)
                    throw new ModelConversionException($"label {labels[i]} of sample {i} is outside 0..{classes - 1}");
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

            return new ValidationSet(shape, classes, features, labels);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ModelConversionException($"the validation set is not valid: {ex.Message}", ex);
        }
    }
}
