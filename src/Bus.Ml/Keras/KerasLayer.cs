using System.Text.Json;

namespace Bus.Ml.Keras;

/// <summary>One Keras layer being emitted: its class, name and config, the graph, and the tensors it takes.</summary>
internal sealed record KerasLayer(OnnxGraph Graph, string Type, string Name, JsonElement Config, IReadOnlyList<string> Inputs)
{
    /// <summary>The first (for most layers the only) input.</summary>
    public string X => Inputs[0];

    /// <summary>The first input's rank, 0 when unknown.</summary>
    public int Rank => Graph.Rank(X);
}
