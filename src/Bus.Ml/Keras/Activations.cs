using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>Keras activation functions (fused into a layer or an <c>Activation</c> layer) as ONNX nodes, in one table.</summary>
internal static class Activations
{
    static readonly Dictionary<string, Func<OnnxGraph, string, string>> Table = new(StringComparer.Ordinal)
    {
        ["relu"] = (g, x) => g.Node("Relu", [x]),
        ["sigmoid"] = (g, x) => g.Node("Sigmoid", [x]),
        ["tanh"] = (g, x) => g.Node("Tanh", [x]),
        ["softmax"] = (g, x) => g.Node("Softmax", [x], attributes: [Int("axis", -1)]),
        ["elu"] = (g, x) => g.Node("Elu", [x], attributes: [Float("alpha", 1f)]),
        ["selu"] = (g, x) => g.Node("Selu", [x], attributes: [Float("alpha", 1.6732632423543772f), Float("gamma", 1.0507009873554805f)]),
        ["leaky_relu"] = LeakyRelu,
        ["leakyrelu"] = LeakyRelu,
        ["leakyRelu"] = LeakyRelu,
    };

    /// <summary>The activation names accepted, linear included.</summary>
    public static IEnumerable<string> Supported => Table.Keys.Append("linear");

    /// <summary><paramref name="activation"/> applied to <paramref name="x"/>; linear (or none) returns <paramref name="x"/> itself.</summary>
    public static string Apply(OnnxGraph graph, string layer, string? activation, string x)
    {
        if (activation is null or "linear")
            return x;
        if (!Table.TryGetValue(activation, out var emit))
            throw new ModelConversionException($"layer {layer}: unsupported activation '{activation}' (relu, sigmoid, tanh, softmax, linear, elu, " +
                "selu, leaky relu are)");
        return graph.Ranked(emit(graph, x), graph.Rank(x));
    }

    static string LeakyRelu(OnnxGraph graph, string x) => graph.Node("LeakyRelu", [x], attributes: [Float("alpha", 0.2f)]);
}
