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
}
