using static Bus.Ml.Keras.KerasJson;

namespace Bus.Ml.Keras;

/// <summary>Dense, Activation and Dropout (an identity at inference).</summary>
internal static class CoreLayers
{
    public static string Dense(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        var result = graph.Node("MatMul", [layer.X, graph.Weight(name, "kernel")]);
        if (Bool(config, "use_bias", true))
            result = graph.Node("Add", [result, graph.Weight(name, "bias")]);
        return Activations.Apply(graph, name, ActivationName(config), graph.Ranked(result, layer.Rank));
    }

    public static string Activation(KerasLayer layer) => Activations.Apply(layer.Graph, layer.Name, ActivationName(layer.Config), layer.X);

    public static string Dropout(KerasLayer layer) => layer.X;

    /// <summary>
    /// TimeDistributed of a Dense (or Activation, Dropout): Dense already applies to the last axis of every step. Its
    /// weights are the wrapper's (<c>time_distributed/kernel</c>).
    /// </summary>
    public static string TimeDistributed(KerasLayer layer)
    {
        var inner = layer.Config.GetProperty("layer");
        var type = KerasJson.Str(inner, "class_name");
        var wrapped = layer with { Type = type, Config = inner.GetProperty("config") };
        return type switch
        {
            "Dense" => Dense(wrapped),
            "Activation" => Activation(wrapped),
            "Dropout" => wrapped.X,
            _ => throw new ModelConversionException($"layer {layer.Name}: TimeDistributed of {type} is not supported (of Dense, Activation, Dropout is)"),
        };
    }

    /// <summary>Token ids (given as floats, as TF.js takes them) to their rows of the embedding matrix: [batch, steps, dim].</summary>
    public static string Embedding(KerasLayer layer)
    {
        var graph = layer.Graph;
        if (layer.Config.TryGetProperty("mask_zero", out var mask) && mask.ValueKind == System.Text.Json.JsonValueKind.True)
            throw new ModelConversionException($"layer {layer.Name}: Embedding with mask_zero is not supported");
        var ids = graph.Node("Cast", [layer.X], attributes: [OnnxAttributes.Int("to", (long)Onnx.TensorProto.Types.DataType.Int64)]);
        return graph.Ranked(graph.Node("Gather", [graph.Weight(layer.Name, "embeddings"), ids], attributes: [OnnxAttributes.Int("axis", 0)]),
            layer.Rank + 1);
    }
}
