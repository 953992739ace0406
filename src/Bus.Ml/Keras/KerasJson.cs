using System.Text.Json;

namespace Bus.Ml.Keras;

/// <summary>Reading Keras layer configs: required strings, pairs, flags and padding, each failing with what is wrong.</summary>
internal static class KerasJson
{
    public static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()! : throw new ModelConversionException($"missing '{name}' in {Truncate(e)}");

    /// <summary>Parses JSON from a model file; invalid JSON is a conversion error naming <paramref name="what"/>.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> json, string what)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ModelConversionException($"{what} is not valid JSON: {ex.Message}", ex);
        }
    }

    public static string Truncate(JsonElement e)
    {
        var text = e.GetRawText();
        return text.Length > 120 ? text[..120] + "…" : text;
    }

    /// <summary>A layer's name: its own <c>name</c> (functional models) or its config's (sequential ones).</summary>
    public static string LayerName(JsonElement layer) =>
        layer.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : Str(layer.GetProperty("config"), "name");

    /// <summary><c>batch_input_shape</c> (Keras 2) or <c>batch_shape</c> (Keras 3), unknown dimensions as -1; null when neither is there.</summary>
    public static long[]? BatchInputShape(JsonElement config)
    {
        var key = config.TryGetProperty("batch_input_shape", out var s) ? s : config.TryGetProperty("batch_shape", out var b) ? b : default;
        if (key.ValueKind != JsonValueKind.Array)
            return null;
        return key.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Null ? -1L : d.GetInt64()).ToArray();
    }

    /// <summary>A two-dimensional setting given as one number or a pair; <paramref name="fallback"/> when absent, or an error if none.</summary>
    public static long[] Pair(JsonElement config, string key, long fallback = -1)
    {
        if (!config.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
            return fallback < 0 ? throw new ModelConversionException($"missing '{key}'") : [fallback, fallback];
        return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetInt64()).ToArray() : [v.GetInt64(), v.GetInt64()];
    }

    public static bool Bool(JsonElement config, string key, bool fallback) =>
        config.TryGetProperty(key, out var v) ? v.ValueKind == JsonValueKind.True : fallback;

    /// <summary>Keras padding as ONNX <c>auto_pad</c>: valid is VALID, same is SAME_UPPER (TensorFlow puts the odd pixel at the end).</summary>
    public static string Padding(JsonElement config, string layer) => (config.TryGetProperty("padding", out var p) ? p.GetString() : "valid") switch
    {
        "valid" => "VALID",
        "same" => "SAME_UPPER",
        var other => throw new ModelConversionException($"layer {layer}: padding '{other}' is not supported"),
    };

    /// <summary>A layer's fused activation: a name, or a serialised activation object's class name in lower case.</summary>
    public static string? ActivationName(JsonElement config, string key = "activation") =>
        config.TryGetProperty(key, out var a) ? a.ValueKind == JsonValueKind.String ? a.GetString() : a.ValueKind == JsonValueKind.Null ? null
            : a.GetProperty("class_name").GetString()?.ToLowerInvariant() : null;
}
