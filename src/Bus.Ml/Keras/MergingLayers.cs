using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>
/// Layers that join several tensors: Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate.
/// </summary>
internal static class MergingLayers
{
    public static string Multiply(KerasLayer layer) => Chain(layer, "Mul");

    public static string Average(KerasLayer layer) => layer.Graph.Ranked(layer.Graph.Node("Mean", layer.Inputs), layer.Rank);

    public static string Maximum(KerasLayer layer) => layer.Graph.Ranked(layer.Graph.Node("Max", layer.Inputs), layer.Rank);

    public static string Minimum(KerasLayer layer) => layer.Graph.Ranked(layer.Graph.Node("Min", layer.Inputs), layer.Rank);

    static string Chain(KerasLayer layer, string op)
    {
        var result = layer.X;
        foreach (var other in layer.Inputs.Skip(1))
            result = layer.Graph.Node(op, [result, other]);
        return layer.Graph.Ranked(result, layer.Rank);
    }

    public static string Add(KerasLayer layer) => Chain(layer, "Add");

    /// <summary>Keras's Subtract takes exactly two tensors: the first minus the second.</summary>
    public static string Subtract(KerasLayer layer) => layer.Inputs.Count == 2 ? Chain(layer, "Sub")
        : throw new ModelConversionException($"layer {layer.Name}: Subtract takes exactly 2 inputs, not {layer.Inputs.Count}");

    public static string Concatenate(KerasLayer layer)
    {
        var rank = layer.Rank;
        var axis = layer.Config.TryGetProperty("axis", out var ax) ? ax.GetInt32() : -1;
        return layer.Graph.Ranked(layer.Graph.Node("Concat", layer.Inputs, attributes: [Int("axis", axis < 0 ? rank + axis : axis)]), rank);
    }
}
