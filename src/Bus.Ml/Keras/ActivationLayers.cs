using System.Text.Json;
using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>The activation layers with their own parameters: ReLU (with its ceiling) and LeakyReLU.</summary>
internal static class ActivationLayers
{
    /// <summary>max(x, 0), clipped at <c>max_value</c> when set; a negative slope or a threshold is refused rather than ignored.</summary>
    public static string ReLU(KerasLayer layer)
    {
        var (graph, config) = (layer.Graph, layer.Config);
        foreach (var unsupported in new[] { "negative_slope", "threshold" })
        {
            if (config.TryGetProperty(unsupported, out var v) && v.ValueKind == JsonValueKind.Number && v.GetDouble() != 0)
                throw new ModelConversionException($"layer {layer.Name}: ReLU with {unsupported} {v.GetRawText()} is not supported");
        }

        if (!config.TryGetProperty("max_value", out var max) || max.ValueKind == JsonValueKind.Null)
            return Activations.Apply(graph, layer.Name, "relu", layer.X);
        var floor = graph.Initializer($"{layer.Name}/min", [], [0f]);
        var ceiling = graph.Initializer($"{layer.Name}/max", [], [max.GetSingle()]);
        return graph.Ranked(graph.Node("Clip", [layer.X, floor, ceiling]), layer.Rank);
    }

    /// <summary>The slope is <c>alpha</c> (Keras 2) or <c>negative_slope</c> (Keras 3); Keras's default is 0.3.</summary>
    public static string LeakyReLU(KerasLayer layer)
    {
        var config = layer.Config;
        var alpha = config.TryGetProperty("alpha", out var a) ? a.GetSingle() : config.TryGetProperty("negative_slope", out var ns)
            ? ns.GetSingle() : 0.3f;
        return layer.Graph.Ranked(layer.Graph.Node("LeakyRelu", [layer.X], attributes: [Float("alpha", alpha)]), layer.Rank);
    }

    /// <summary>The Softmax layer along its axis (one axis; Keras's default, the last).</summary>
    public static string Softmax(KerasLayer layer)
    {
        var axis = layer.Config.TryGetProperty("axis", out var a) ? a.ValueKind switch
        {
            JsonValueKind.Number => a.GetInt32(),
            JsonValueKind.Array when a.GetArrayLength() == 1 => a[0].GetInt32(),
            JsonValueKind.Null => -1,
            _ => throw new ModelConversionException($"layer {layer.Name}: Softmax over axes {a.GetRawText()} is not supported (one axis)"),
        } : -1;
        return layer.Graph.Ranked(layer.Graph.Node("Softmax", [layer.X], attributes: [Int("axis", axis)]), layer.Rank);
    }
}
