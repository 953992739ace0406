using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>Layers that join several tensors: Add and Concatenate.</summary>
internal static class MergingLayers
{
    public static string Add(KerasLayer layer)
    {
        var result = layer.X;
        foreach (var other in layer.Inputs.Skip(1))
            result = layer.Graph.Node("Add", [result, other]);
        return layer.Graph.Ranked(result, layer.Rank);
    }

    public static string Concatenate(KerasLayer layer)
    {
        var rank = layer.Rank;
        var axis = layer.Config.TryGetProperty("axis", out var ax) ? ax.GetInt32() : -1;
        return layer.Graph.Ranked(layer.Graph.Node("Concat", layer.Inputs, attributes: [Int("axis", axis < 0 ? rank + axis : axis)]), rank);
    }
}
