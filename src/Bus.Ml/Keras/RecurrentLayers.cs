using System.Text.Json;
using Google.Protobuf;
using Onnx;
using static Bus.Ml.Keras.KerasJson;
using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>
/// LSTM, GRU and Bidirectional of either, as ONNX's LSTM and GRU operators. Keras runs [batch, steps, features]
/// batch-major and keeps its gates in its own order (LSTM i f c o, GRU z r h); ONNX runs [steps, batch, features] with
/// LSTM gates i o f c (GRU's are z r h too), so the kernels are transposed and their gate blocks reordered here. An
/// LSTM's bias is the input bias (ONNX's recurrent bias is zero); a GRU's with <c>reset_after</c> (Keras's default) is
/// both, and maps to <c>linear_before_reset</c>.
/// </summary>
internal static class RecurrentLayers
{
    public static string Lstm(KerasLayer layer) => Recurrent(layer, layer.Config, [(layer.Name, string.Empty)], "LSTM");

    public static string Gru(KerasLayer layer) => Recurrent(layer, layer.Config, [(layer.Name, string.Empty)], "GRU");

    /// <summary>
    /// Bidirectional: both directions in one ONNX node (forward first, as Keras concatenates them), merged by
    /// <c>merge_mode</c> concat, sum, mul or ave. Keras names the directions' weights forward_&lt;layer&gt; and backward_&lt;layer&gt;.
    /// </summary>
    public static string Bidirectional(KerasLayer layer)
    {
        var inner = layer.Config.GetProperty("layer");
        var type = Str(inner, "class_name");
        var config = inner.GetProperty("config");
        var innerName = Str(config, "name");
        if (type is not ("LSTM" or "GRU"))
            throw new ModelConversionException($"layer {layer.Name}: Bidirectional of {type} is not supported (of LSTM and GRU is)");
        if (layer.Config.TryGetProperty("backward_layer", out var backward) && backward.ValueKind == JsonValueKind.Object
            && backward.TryGetProperty("config", out var backwardConfig) && Bool(backwardConfig, "go_backwards", true) is false)
            throw new ModelConversionException($"layer {layer.Name}: a backward layer that does not go backwards is not supported");
        return Recurrent(layer, config, [(layer.Name, $"forward_{innerName}/"), (layer.Name, $"backward_{innerName}/")], type);
    }

    static string Recurrent(KerasLayer layer, JsonElement config, (string Layer, string Prefix)[] directions, string op)
    {
        var graph = layer.Graph;
        var name = layer.Name;
        if (layer.Rank is not (0 or 3))
            throw new ModelConversionException($"layer {name}: {op} takes [batch, steps, features]; it got a rank-{layer.Rank} input");
        foreach (var setting in new[] { "go_backwards", "stateful", "return_state" })
        {
            if (Bool(config, setting, false))
                throw new ModelConversionException($"layer {name}: {op} with {setting} is not supported");
        }

        var units = config.TryGetProperty("units", out var u) && u.TryGetInt32(out var n) && n is > 0 and <= 1 << 20
            ? n : throw new ModelConversionException($"layer {name}: {op} needs 'units' between 1 and {1 << 20:N0}");
        var gates = op == "LSTM" ? 4 : 3;
        var resetAfter = op == "GRU" && Bool(config, "reset_after", false);
        var useBias = Bool(config, "use_bias", true);
        var w = new List<float>();
        var r = new List<float>();
        var b = new List<float>();
        var inputSize = 0;
        foreach (var (owner, prefix) in directions)
        {
            var kernel = graph.Use(owner, prefix + "kernel");
            var recurrent = graph.Use(owner, prefix + "recurrent_kernel");
            if (kernel.Shape.Length != 2 || kernel.Shape[1] != gates * units || recurrent.Shape is not [var ru, var rc] || ru != units || rc != gates * units)
                throw new ModelConversionException($"layer {name}: {op} weights of shapes [{string.Join(",", kernel.Shape)}] and " +
                    $"[{string.Join(",", recurrent.Shape)}] do not fit {units} units");
            inputSize = kernel.Shape[0];
            w.AddRange(Gates(kernel.Values, kernel.Shape[0], units, op));
            r.AddRange(Gates(recurrent.Values, units, units, op));
            b.AddRange(Bias(useBias ? graph.Use(owner, prefix + "bias") : null, units, gates, resetAfter, name, op));
        }

        var count = directions.Length;
        var x = graph.Node("Transpose", [layer.X], attributes: [Ints("perm", [1, 0, 2])]);
        var inputs = new[]
        {
            x,
            graph.Initializer($"{name}/W", [count, gates * units, inputSize], [.. w]),
            graph.Initializer($"{name}/R", [count, gates * units, units], [.. r]),
            graph.Initializer($"{name}/B", [count, 2 * gates * units], [.. b]),
        };
        var (names, alphas, betas) = ActivationList(graph, config, op, count, name);
        var attributes = new List<AttributeProto>
        {
            Int("hidden_size", units),
            Text("direction", count == 2 ? "bidirectional" : "forward"),
            Strings("activations", names),
        };
        if (alphas.Count > 0)
        {
            attributes.Add(Floats("activation_alpha", alphas));
            attributes.Add(Floats("activation_beta", betas));
        }

        if (resetAfter)
            attributes.Add(Int("linear_before_reset", 1));
        var node = new NodeProto { OpType = op, Name = $"{name}/{op.ToLowerInvariant()}" };
        node.Input.AddRange(inputs);
        var sequence = $"{name}/Y";
        var last = $"{name}/Y_h";
        node.Output.AddRange(op == "LSTM" ? [sequence, last, $"{name}/Y_c"] : [sequence, last]);
        node.Attribute.AddRange(attributes);
        graph.Add(node);

        var returnSequences = Bool(config, "return_sequences", false);
        var mode = count == 2 ? (layer.Config.TryGetProperty("merge_mode", out var m) ? m.GetString() : "concat")
            ?? throw new ModelConversionException($"layer {name}: Bidirectional with merge_mode None (two outputs) is not supported") : null;
        if (returnSequences)
        {
            // Y: [steps, directions, batch, units] -> [batch, steps, directions, units]
            var y = graph.Node("Transpose", [sequence], attributes: [Ints("perm", [2, 0, 1, 3])]);
            return graph.Ranked(Merge(graph, y, mode, units, axis: 2, name), 3);
        }

        // Y_h: [directions, batch, units] -> [batch, directions, units]
        var h = graph.Node("Transpose", [last], attributes: [Ints("perm", [1, 0, 2])]);
        return graph.Ranked(Merge(graph, h, mode, units, axis: 1, name), 2);
    }

    /// <summary>The directions axis merged away: concatenated (forward then backward), summed, multiplied or averaged.</summary>
    static string Merge(OnnxGraph graph, string y, string? mode, int units, int axis, string name)
    {
        var axes = graph.Int64Initializer($"{name}/merge_axis", [1], [axis]);
        switch (mode)
        {
            case null:
                return graph.Node("Squeeze", [y, axes]);
            case "concat":
                // [..., 2, units] -> [..., 2 units]: forward's units, then backward's.
                long[] shape = axis == 2 ? [0, 0, 2L * units] : [0, 2L * units];
                return graph.Node("Reshape", [y, graph.Int64Initializer($"{name}/merge_shape", [shape.Length], shape)]);
            case "sum":
                return graph.Node("ReduceSum", [y, axes], attributes: [Int("keepdims", 0)]);
            case "ave":
                return graph.Node("ReduceMean", [y], attributes: [Ints("axes", [axis]), Int("keepdims", 0)]);
            case "mul":
            {
                var forward = graph.Node("Gather", [y, graph.Int64Initializer($"{name}/forward_index", [], [0])], attributes: [Int("axis", axis)]);
                var backward = graph.Node("Gather", [y, graph.Int64Initializer($"{name}/backward_index", [], [1])], attributes: [Int("axis", axis)]);
                return graph.Node("Mul", [forward, backward]);
            }

            default:
                throw new ModelConversionException($"layer {name}: Bidirectional merge_mode '{mode}' is not supported (concat, sum, mul, ave are)");
        }
    }

    /// <summary>For each ONNX gate block, the Keras block it comes from: Keras LSTM is i f c o, ONNX i o f c; GRU is z r h on both sides.</summary>
    static int[] GateOrder(string op) => op == "LSTM" ? [0, 3, 1, 2] : [0, 1, 2];

    /// <summary>A Keras kernel [rows, gates x units] as ONNX's [gates x units, rows], the gate blocks in ONNX's order.</summary>
    static float[] Gates(float[] kernel, int rows, int units, string op)
    {
        var order = GateOrder(op);
        var columns = order.Length * units;
        var result = new float[columns * rows];
        for (var g = 0; g < order.Length; g++)
        {
            for (var unit = 0; unit < units; unit++)
            {
                var source = order[g] * units + unit;
                var target = (g * units + unit) * rows;
                for (var row = 0; row < rows; row++)
                    result[target + row] = kernel[row * columns + source];
            }
        }

        return result;
    }

    /// <summary>ONNX's bias for one direction: [input bias, recurrent bias], each in ONNX's gate order.</summary>
    static float[] Bias(KerasTensor? bias, int units, int gates, bool resetAfter, string name, string op)
    {
        var result = new float[2 * gates * units];
        if (bias is not { Values: var values })
            return result;
        var expected = resetAfter ? 2 * gates * units : gates * units;
        if (values.Length != expected)
            throw new ModelConversionException($"layer {name}: {op} bias has {values.Length} values; {expected} were expected" +
                (op == "GRU" ? $" (reset_after {resetAfter.ToString().ToLowerInvariant()})" : string.Empty));
        var order = GateOrder(op);
        for (var part = 0; part < (resetAfter ? 2 : 1); part++)
        {
            for (var g = 0; g < gates; g++)
                Array.Copy(values, part * gates * units + order[g] * units, result, part * gates * units + g * units, units);
        }

        return result;
    }

    /// <summary>
    /// The cell's activations in ONNX's list: LSTM f (gates, Keras's recurrent_activation), g and h (activation); GRU
    /// f and g; once per direction. HardSigmoid takes its alpha and beta from the lists, consumed in order.
    /// </summary>
    static (string[] Names, List<float> Alphas, List<float> Betas) ActivationList(OnnxGraph graph, JsonElement config, string op, int directions, string name)
    {
        var recurrent = Function(graph, config.TryGetProperty("recurrent_activation", out _) ? ActivationName(config, "recurrent_activation") : "sigmoid",
            name);
        var main = Function(graph, config.TryGetProperty("activation", out _) ? ActivationName(config) : "tanh", name);
        var cell = op == "LSTM" ? new[] { recurrent, main, main } : [recurrent, main];
        var all = Enumerable.Repeat(cell, directions).SelectMany(c => c).ToArray();
        var alphas = new List<float>();
        var betas = new List<float>();
        foreach (var (_, alpha, beta) in all)
        {
            if (alpha is { } a)
            {
                alphas.Add(a);
                betas.Add(beta);
            }
        }

        return (all.Select(f => f.Name).ToArray(), alphas, betas);
    }

    static (string Name, float? Alpha, float Beta) Function(OnnxGraph graph, string? activation, string layer) => activation switch
    {
        "tanh" => ("Tanh", null, 0),
        "sigmoid" => ("Sigmoid", null, 0),
        "relu" => ("Relu", null, 0),
        // TF.js and Keras 2: 0.2 x + 0.5; Keras 3: x / 6 + 0.5 (see Activations).
        "hard_sigmoid" => ("HardSigmoid", graph.Keras3 ? 1f / 6 : 0.2f, 0.5f),
        "linear" or null => ("Affine", 1f, 0),
        "softsign" => ("Softsign", null, 0),
        "softplus" => ("Softplus", null, 0),
        _ => throw new ModelConversionException($"layer {layer}: recurrent activation '{activation}' is not supported (tanh, sigmoid, relu, " +
            "hard_sigmoid, linear, softsign, softplus are)"),
    };
}
