using System.Text.Json;

namespace Bus.Ml;

/// <summary>A labelled set in Bus's JSON shape: <c>{ "inputShape": [8,8,1], "classes": 10, "features": [[...]], "labels": [...] }</c>.</summary>
public sealed record ValidationSet(int[] InputShape, int Classes, float[][] Features, int[] Labels)
{
    public int SampleSize => InputShape.Aggregate(1, (a, b) => a * b);

    public static ValidationSet Parse(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var shape = root.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var features = root.GetProperty("features").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
            var labels = root.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var classes = root.TryGetProperty("classes", out var c) ? c.GetInt32() : labels.Max() + 1;
            var set = new ValidationSet(shape, classes, features, labels);
            if (features.Length != labels.Length)
                throw new ModelConversionException($"the validation set has {features.Length} samples but {labels.Length} labels");
            if (features.Any(f => f.Length != set.SampleSize))
                throw new ModelConversionException($"a validation sample does not have {set.SampleSize} values (input shape [{string.Join(",", shape)}])");
            return set;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ModelConversionException($"the validation set is not valid: {ex.Message}", ex);
        }
    }
}
