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
}
