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
        ["softplus"] = (g, x) => g.Node("Softplus", [x]),
        ["exponential"] = (g, x) => g.Node("Exp", [x]),
        ["softsign"] = (g, x) => g.Node("Softsign", [x]),
        // x * sigmoid(x): Keras calls it swish or silu, TF.js swish.
        ["swish"] = Swish,
        ["silu"] = Swish,
        ["gelu"] = Gelu,
        ["gelu_new"] = GeluTanh,
        ["mish"] = (g, x) => g.Node("Mul", [x, g.Node("Tanh", [g.Node("Softplus", [x])])]),
        // TF.js and Keras 2: clip(0.2 x + 0.5, 0, 1); Keras 3 changed it to clip(x / 6 + 0.5, 0, 1).
        ["hard_sigmoid"] = (g, x) => g.Node("HardSigmoid", [x], attributes: [Float("alpha", g.Keras3 ? 1f / 6 : 0.2f), Float("beta", 0.5f)]),
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
                "selu, leaky relu, softplus, softsign, swish/silu, gelu, gelu_new, mish, hard_sigmoid, exponential are)");
        return graph.Ranked(emit(graph, x), graph.Rank(x));
    }

    static string LeakyRelu(OnnxGraph graph, string x) => graph.Node("LeakyRelu", [x], attributes: [Float("alpha", 0.2f)]);

    static string Swish(OnnxGraph graph, string x) => graph.Node("Mul", [x, graph.Node("Sigmoid", [x])]);

    static string Scalar(OnnxGraph graph, string x, string what, float value) => graph.Initializer($"{x}/{what}", [], [value]);

    /// <summary>GELU as Keras and TF.js compute it by default: x * 0.5 * (1 + erf(x / sqrt 2)).</summary>
    static string Gelu(OnnxGraph graph, string x)
    {
        var erf = graph.Node("Erf", [graph.Node("Div", [x, Scalar(graph, x, "gelu.sqrt2", MathF.Sqrt(2f))])]);
        var cdf = graph.Node("Mul", [graph.Node("Add", [erf, Scalar(graph, x, "gelu.one", 1f)]), Scalar(graph, x, "gelu.half", 0.5f)]);
        return graph.Node("Mul", [x, cdf]);
    }

    /// <summary>GELU's tanh approximation (TF.js gelu_new, Keras gelu with approximate=True): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    static string GeluTanh(OnnxGraph graph, string x)
    {
        var cube = graph.Node("Mul", [x, graph.Node("Mul", [x, x])]);
        var inner = graph.Node("Mul", [graph.Node("Add", [x, graph.Node("Mul", [cube, Scalar(graph, x, "gelu.c", 0.044715f)])]),
            Scalar(graph, x, "gelu.k", MathF.Sqrt(2f / MathF.PI))]);
        var half = graph.Node("Mul", [graph.Node("Add", [graph.Node("Tanh", [inner]), Scalar(graph, x, "gelu.one", 1f)]),
            Scalar(graph, x, "gelu.half", 0.5f)]);
        return graph.Node("Mul", [x, half]);
    }
}
