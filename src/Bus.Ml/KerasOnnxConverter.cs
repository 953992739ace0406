using System.Text.Json;
using Bus.Ml.Keras;
using Google.Protobuf;

namespace Bus.Ml;

/// <summary>
/// Converts a Keras model in the TF.js layers format (model.json + weight shards, as written by TF.js and
/// tensorflowjs_converter) to ONNX, channels-last in and out. Sequential and functional models, with the layers in
/// <see cref="SupportedLayers"/>; anything else fails with a <see cref="ModelConversionException"/> naming it.
/// The work is done in <c>Keras/</c>: <see cref="WeightManifest"/> reads the weights, <see cref="LayerGraphBuilder"/>
/// walks the layers and <see cref="LayerCatalog"/> holds one emitter per layer.
/// </summary>
public static class KerasOnnxConverter
{
    public const int Opset = 13;
    public const string InputName = "input";
    public const string OutputName = "output";

    /// <summary>Second output: the input of the last layer (the penultimate layer's activations), for embeddings.</summary>
    public const string EmbeddingName = "embedding";

    /// <summary>The Keras layer class names the converter emits, from <see cref="LayerCatalog"/>'s table.</summary>
    public static IReadOnlySet<string> SupportedLayers => LayerCatalog.Supported;

    /// <summary>Converts; <paramref name="readShard"/> returns the bytes of a weight file named in the manifest.</summary>
    public static byte[] Convert(byte[] modelJson, Func<string, byte[]> readShard) => Convert(modelJson, readShard, ArtifactLimits.Default);

    /// <summary>Converts within <paramref name="limits"/>: sizes are checked before anything of that size is allocated.</summary>
    public static byte[] Convert(byte[] modelJson, Func<string, byte[]> readShard, ArtifactLimits limits)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(modelJson);
        }
        catch (JsonException ex)
        {
            throw new ModelConversionException($"model.json is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (!root.TryGetProperty("modelTopology", out var topology) || topology.ValueKind != JsonValueKind.Object)
                throw new ModelConversionException("model.json has no modelTopology: not a TF.js layers model");
            if (topology.TryGetProperty("model_config", out var inner))
                topology = inner;
            var weights = WeightManifest.Read(root, readShard, limits);
            var graph = new OnnxGraph(weights, limits);
            new LayerGraphBuilder(graph).Model(topology);

            var unused = weights.Keys.Except(graph.UsedWeights).ToList();
            if (unused.Count > 0)
                throw new ModelConversionException($"weights not used by any layer: {string.Join(", ", unused.Take(5))}");
            return graph.Build().ToByteArray();
        }
    }

    /// <summary>
    /// The weight files a model.json names, each a plain relative name beside it: no '..', no absolute path, no
    /// scheme, no backslash (on S3 such a key is literal, in a local reader a real path: both are refused).
    /// </summary>
    public static IReadOnlyList<string> ShardPaths(JsonElement root, ArtifactLimits limits) => WeightManifest.ShardPaths(root, limits);
}
