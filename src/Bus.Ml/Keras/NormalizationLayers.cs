using System.Text.Json;
using static Bus.Ml.Keras.KerasJson;
using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>BatchNormalization at inference, folded into one scale and one shift per channel; LayerNormalization; Normalization.</summary>
internal static class NormalizationLayers
{
    /// <summary>
    /// The preprocessing Normalization on the last axis: (x - mean) / max(sqrt(variance), 1e-7), or with
    /// <c>invert</c> x * max(sqrt(variance), 1e-7) + mean (keras layers/preprocessing). Mean and variance are its
    /// weights after <c>adapt()</c>, or numbers in its config when it was built with them.
    /// </summary>
    public static string Normalization(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        var axis = config.TryGetProperty("axis", out var ax) ? ax.ValueKind switch
        {
            JsonValueKind.Number => ax.GetInt32(),
            JsonValueKind.Array when ax.GetArrayLength() == 1 => ax[0].GetInt32(),
            _ => int.MinValue,
        } : -1;
        if (axis != -1 && (layer.Rank == 0 || axis != layer.Rank - 1))
            throw new ModelConversionException($"layer {name}: Normalization over axis {ax.GetRawText()} is not supported (the last axis is)");
        float[] mean, variance;
        if (config.TryGetProperty("mean", out var m) && m.ValueKind is JsonValueKind.Number or JsonValueKind.Array)
        {
            mean = Numbers(m, name, "mean");
            variance = Numbers(config.GetProperty("variance"), name, "variance");
        }
        else
        {
            mean = graph.Use(name, "mean").Values;
            variance = graph.Use(name, "variance").Values;
        }

        if (mean.Length != variance.Length)
            throw new ModelConversionException($"layer {name}: mean has {mean.Length} values and variance {variance.Length}");
        var deviation = variance.Select(v => MathF.Max(MathF.Sqrt(v), 1e-7f)).ToArray();
        if (Bool(config, "invert", false))
        {
            var scaled = graph.Node("Mul", [layer.X, graph.Initializer($"{name}/deviation", [deviation.Length], deviation)]);
            return graph.Ranked(graph.Node("Add", [scaled, graph.Initializer($"{name}/mean", [mean.Length], mean)]), layer.Rank);
        }

        var centred = graph.Node("Sub", [layer.X, graph.Initializer($"{name}/mean", [mean.Length], mean)]);
        return graph.Ranked(graph.Node("Div", [centred, graph.Initializer($"{name}/deviation", [deviation.Length], deviation)]), layer.Rank);
    }

    static float[] Numbers(JsonElement value, string layer, string what) => value.ValueKind switch
    {
        JsonValueKind.Number => [value.GetSingle()],
        JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number) => value.EnumerateArray().Select(v => v.GetSingle())
            .ToArray(),
        _ => throw new ModelConversionException($"layer {layer}: Normalization's {what} is not a number or a list of numbers"),
    };

    public static string BatchNormalization(KerasLayer layer)
    {
        var (graph, name, config, rank) = (layer.Graph, layer.Name, layer.Config, layer.Rank);
        var axis = config.TryGetProperty("axis", out var ax) ? (ax.ValueKind == JsonValueKind.Array ? ax[0].GetInt32() : ax.GetInt32()) : -1;
        if (axis != -1 && axis != rank - 1)
            throw new ModelConversionException($"layer {name}: BatchNormalization on axis {axis} is not supported (only the channels axis, -1)");
        var epsilon = config.TryGetProperty("epsilon", out var eps) ? eps.GetDouble() : 1e-3;
        var mean = graph.Use(name, "moving_mean");
        var variance = graph.Use(name, "moving_variance");
        var gamma = Bool(config, "scale", true) ? graph.Use(name, "gamma").Values : Enumerable.Repeat(1f, mean.Values.Length).ToArray();
        var beta = Bool(config, "center", true) ? graph.Use(name, "beta").Values : new float[mean.Values.Length];
        var scale = new float[mean.Values.Length];
        var bias = new float[mean.Values.Length];
        for (var i = 0; i < scale.Length; i++)
        {
            scale[i] = (float)(gamma[i] / Math.Sqrt(variance.Values[i] + epsilon));
            bias[i] = beta[i] - mean.Values[i] * scale[i];
        }

        var scaled = graph.Node("Mul", [layer.X, graph.Initializer($"{name}/scale", [scale.Length], scale)]);
        return graph.Ranked(graph.Node("Add", [scaled, graph.Initializer($"{name}/shift", [bias.Length], bias)]), rank);
    }

    /// <summary>LayerNormalization over the last axis: (x - mean) / sqrt(variance + epsilon), then gamma and beta.</summary>
    public static string LayerNormalization(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        var rank = layer.Rank;
        var axis = config.TryGetProperty("axis", out var a) ? a.ValueKind switch
        {
            JsonValueKind.Number => a.GetInt32(),
            JsonValueKind.Array when a.GetArrayLength() == 1 => a[0].GetInt32(),
            _ => int.MinValue,
        } : -1;
        if (axis != -1 && (rank == 0 || axis != rank - 1))
            throw new ModelConversionException($"layer {name}: LayerNormalization over axis {a.GetRawText()} is not supported (the last axis is)");
        var epsilon = config.TryGetProperty("epsilon", out var e) ? e.GetSingle() : 1e-3f;
        long[] last = [-1];
        var mean = graph.Node("ReduceMean", [layer.X], attributes: [Ints("axes", last), Int("keepdims", 1)]);
        var centered = graph.Node("Sub", [layer.X, mean]);
        var variance = graph.Node("ReduceMean", [graph.Node("Mul", [centered, centered])], attributes: [Ints("axes", last), Int("keepdims", 1)]);
        var y = graph.Node("Div", [centered, graph.Node("Sqrt", [graph.Node("Add", [variance, graph.Initializer($"{name}/epsilon", [], [epsilon])])])]);
        if (Bool(config, "scale", true))
            y = graph.Node("Mul", [y, graph.Weight(name, "gamma")]);
        if (Bool(config, "center", true))
            y = graph.Node("Add", [y, graph.Weight(name, "beta")]);
        return graph.Ranked(y, rank);
    }
}
