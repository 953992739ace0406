using System.Text.Json;
using static Bus.Ml.Keras.KerasJson;
using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>Flatten, Reshape (the batch axis kept) and UpSampling2D (nearest neighbour).</summary>
internal static class ReshapingLayers
{
    public static string Flatten(KerasLayer layer) => layer.Graph.Ranked(layer.Graph.Node("Flatten", [layer.X], attributes: [Int("axis", 1)]), 2);

    public static string Reshape(KerasLayer layer)
    {
        var graph = layer.Graph;
        var target = layer.Config.GetProperty("target_shape").EnumerateArray().Select(d => d.GetInt64()).ToList();
        ArtifactLimits.Elements(target.Select(d => d == -1 ? 1 : d), graph.Limits.MaxTensorElements, $"layer {layer.Name}'s target_shape");
        var shape = graph.Int64Initializer($"{layer.Name}/shape", [target.Count + 1], [0L, .. target]);
        return graph.Ranked(graph.Node("Reshape", [layer.X, shape]), target.Count + 1);
    }

    public static string UpSampling2D(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        if (config.TryGetProperty("interpolation", out var interpolation) && interpolation.GetString() is { } mode && mode != "nearest")
            throw new ModelConversionException($"layer {name}: UpSampling2D interpolation '{mode}' is not supported (nearest is)");
        var size = Pair(config, "size");
        if (size.Any(f => f is < 1 or > 64))
            throw new ModelConversionException($"layer {name}: UpSampling2D size [{string.Join(",", size)}] is outside 1-64");
        var scales = graph.Initializer($"{name}/scales", [4], [1f, size[0], size[1], 1f]);
        var roi = graph.Initializer($"{name}/roi", [0], []);
        return graph.Ranked(graph.Node("Resize", [layer.X, roi, scales], attributes:
        [
            Text("mode", "nearest"),
            Text("coordinate_transformation_mode", "asymmetric"),
            Text("nearest_mode", "floor"),
        ]), layer.Rank);
    }

    /// <summary>[[top, bottom], [left, right]], [symmetric height, symmetric width] or one number for all four sides.</summary>
    static (long Top, long Bottom, long Left, long Right) Sides(KerasLayer layer, string key)
    {
        var value = layer.Config.GetProperty(key);
        if (value.ValueKind == JsonValueKind.Number)
            return (value.GetInt64(), value.GetInt64(), value.GetInt64(), value.GetInt64());
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 2)
        {
            var (h, w) = (value[0], value[1]);
            if (h.ValueKind == JsonValueKind.Number && w.ValueKind == JsonValueKind.Number)
                return (h.GetInt64(), h.GetInt64(), w.GetInt64(), w.GetInt64());
            if (h.ValueKind == JsonValueKind.Array && w.ValueKind == JsonValueKind.Array && h.GetArrayLength() == 2 && w.GetArrayLength() == 2)
                return (h[0].GetInt64(), h[1].GetInt64(), w[0].GetInt64(), w[1].GetInt64());
        }

        throw new ModelConversionException($"layer {layer.Name}: {key} {value.GetRawText()} is not [[top, bottom], [left, right]]");
    }

    public static string ZeroPadding2D(KerasLayer layer)
    {
        var (top, bottom, left, right) = Sides(layer, "padding");
        if (new[] { top, bottom, left, right }.Any(p => p < 0 || p > 4096))
            throw new ModelConversionException($"layer {layer.Name}: padding must be between 0 and 4096");
        var pads = layer.Graph.Int64Initializer($"{layer.Name}/pads", [8], [0, top, left, 0, 0, bottom, right, 0]);
        return layer.Graph.Ranked(layer.Graph.Node("Pad", [layer.X, pads]), 4);
    }

    /// <summary>Zeros before and after the steps of [batch, steps, channels]: padding is one number or a (before, after) pair.</summary>
    public static string ZeroPadding1D(KerasLayer layer)
    {
        var pair = KerasJson.Pair(layer.Config, "padding", 1);
        if (pair.Length != 2 || pair.Any(p => p < 0 || p > 4096))
            throw new ModelConversionException($"layer {layer.Name}: padding must be one or two numbers between 0 and 4096");
        var pads = layer.Graph.Int64Initializer($"{layer.Name}/pads", [6], [0, pair[0], 0, 0, pair[1], 0]);
        return layer.Graph.Ranked(layer.Graph.Node("Pad", [layer.X, pads]), 3);
    }

    public static string Cropping2D(KerasLayer layer)
    {
        var (top, bottom, left, right) = Sides(layer, "cropping");
        if (new[] { top, bottom, left, right }.Any(p => p < 0))
            throw new ModelConversionException($"layer {layer.Name}: cropping must not be negative");
        var graph = layer.Graph;
        var starts = graph.Int64Initializer($"{layer.Name}/starts", [2], [top, left]);
        var ends = graph.Int64Initializer($"{layer.Name}/ends", [2], [bottom == 0 ? long.MaxValue : -bottom, right == 0 ? long.MaxValue : -right]);
        var axes = graph.Int64Initializer($"{layer.Name}/axes", [2], [1, 2]);
        return graph.Ranked(graph.Node("Slice", [layer.X, starts, ends, axes]), 4);
    }

    /// <summary>Keras's dims count from 1 and leave the batch axis out.</summary>
    public static string Permute(KerasLayer layer)
    {
        var dims = layer.Config.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()).ToList();
        if (!dims.Order().SequenceEqual(Enumerable.Range(1, dims.Count).Select(d => (long)d)))
            throw new ModelConversionException($"layer {layer.Name}: dims [{string.Join(",", dims)}] is not a permutation of 1..{dims.Count}");
        return layer.Graph.Ranked(layer.Graph.Node("Transpose", [layer.X], attributes: [Ints("perm", [0, .. dims])]), dims.Count + 1);
    }

    public static string RepeatVector(KerasLayer layer)
    {
        var graph = layer.Graph;
        var n = layer.Config.GetProperty("n").GetInt64();
        if (n < 1 || n > 65_536)
            throw new ModelConversionException($"layer {layer.Name}: n {n} must be between 1 and 65536");
        var expanded = graph.Node("Unsqueeze", [layer.X, graph.Int64Initializer($"{layer.Name}/axis", [1], [1])]);
        return graph.Ranked(graph.Node("Tile", [expanded, graph.Int64Initializer($"{layer.Name}/repeats", [3], [1, n, 1])]), 3);
    }

    /// <summary>x * scale + offset, with scalar scale and offset.</summary>
    public static string Rescaling(KerasLayer layer)
    {
        static float Scalar(KerasLayer layer, string key, float fallback) =>
            !layer.Config.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null ? fallback
            : v.ValueKind == JsonValueKind.Number ? v.GetSingle()
            : throw new ModelConversionException($"layer {layer.Name}: Rescaling {key} {v.GetRawText()} must be one number");
        var graph = layer.Graph;
        var scaled = graph.Node("Mul", [layer.X, graph.Initializer($"{layer.Name}/scale", [], [Scalar(layer, "scale", 1f)])]);
        return graph.Ranked(graph.Node("Add", [scaled, graph.Initializer($"{layer.Name}/offset", [], [Scalar(layer, "offset", 0f)])]), layer.Rank);
    }
}
