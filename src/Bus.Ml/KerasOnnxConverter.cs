using System.Text.Json;
using Bus.Contracts;
using Bus.Ml.Keras;
using Google.Protobuf;

namespace Bus.Ml;

/// <summary>
/// Converts a Keras model to ONNX, channels-last in and out: the TF.js layers format (model.json + weight shards, as
/// written by TF.js and tensorflowjs_converter, in Keras 2's or Keras 3's serialisation), Keras 3's <c>.keras</c> zip
/// and the legacy <c>.h5</c>. Sequential and functional models, with the layers in
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
    public static byte[] Convert(byte[] modelJson, Func<string, byte[]> readShard, ArtifactLimits limits) => Malformed(() =>
    {
        using (var document = KerasJson.Parse(modelJson, "model.json"))
        {
            var root = document.RootElement;
            if (!root.TryGetProperty("modelTopology", out var topology) || topology.ValueKind != JsonValueKind.Object)
                throw new ModelConversionException("model.json has no modelTopology: not a TF.js layers model");
            if (topology.TryGetProperty("model_config", out var inner))
                topology = inner;
            return Build(topology, WeightManifest.Read(root, readShard, limits), limits);
        }
    });

    /// <summary>Converts a Keras 3 <c>.keras</c> file (a zip; see <see cref="KerasArchive"/>).</summary>
    public static byte[] ConvertKeras(byte[] file, ArtifactLimits limits) => Malformed(() =>
    {
        var (config, weights) = KerasArchive.Read(file, limits);
        using (config)
            return Build(config.RootElement, weights, limits);
    });

    /// <summary>Converts a legacy Keras HDF5 model file (<c>model.save("model.h5")</c>; see <see cref="KerasLegacyH5"/>).</summary>
    public static byte[] ConvertKerasH5(byte[] file, ArtifactLimits limits) => Malformed(() =>
    {
        var (config, weights) = KerasLegacyH5.Read(file, limits);
        using (config)
            return Build(config.RootElement, weights, limits);
    });

    /// <summary>
    /// A config that is valid JSON but not a Keras model's (a property missing or of another kind, text that is not
    /// UTF-8) surfaces from System.Text.Json as these exceptions: they are the artifact's fault, said as such.
    /// </summary>
    static byte[] Malformed(Func<byte[]> convert)
    {
        try
        {
            return convert();
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException
            or ArgumentException or OverflowException)
        {
            throw new ModelConversionException($"the model's config is not a Keras model's as expected: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    /// <summary>Converts a single-file artifact of <paramref name="format"/> (keras or keras-h5), its signature checked first.</summary>
    public static byte[] ConvertFile(string format, byte[] file, ArtifactLimits limits)
    {
        ArtifactSignature.Check(format, file);
        return ConvertCheckedFile(format, file, limits);
    }

    /// <summary>As <see cref="ConvertFile"/> for a caller that has checked the signature itself (the artifact store, before its cache).</summary>
    internal static byte[] ConvertCheckedFile(string format, byte[] file, ArtifactLimits limits) =>
        format switch
        {
            ArtifactFormats.Keras => ConvertKeras(file, limits),
            ArtifactFormats.KerasH5 => ConvertKerasH5(file, limits),
            _ => throw new ModelConversionException($"artifact format '{format}' is not a single Keras file"),
        };

    /// <summary>The topology (a model config: class_name Sequential or Functional) and its weights by <c>layer/weight</c>, as ONNX.</summary>
    static byte[] Build(JsonElement topology, Dictionary<string, KerasTensor> weights, ArtifactLimits limits)
    {
        var graph = new OnnxGraph(weights, limits);
        new LayerGraphBuilder(graph).Model(topology);
        var unused = weights.Keys.Except(graph.UsedWeights).ToList();
        if (unused.Count > 0)
            throw new ModelConversionException($"weights not used by any layer: {string.Join(", ", unused.Take(5))}");
        var model = graph.Build();
        // Every operator the converter writes has a sizing rule: an unsized graph here is the converter's bug, said as such.
        var activations = Sizing.ShapeInference.MeasureDeclared(model);
        if (activations.Unsized is not null)
            throw new ModelConversionException($"the converted model cannot be sized ahead ({activations.Unsized}); this is a converter bug");
        activations.CheckOneSample(limits.Activations, "the model");
        return model.ToByteArray();
    }

    /// <summary>
    /// The weight files a model.json names, each a plain relative name beside it: no '..', no absolute path, no
    /// scheme, no backslash (on S3 such a key is literal, in a local reader a real path: both are refused).
    /// </summary>
    public static IReadOnlyList<string> ShardPaths(JsonElement root, ArtifactLimits limits) => WeightManifest.ShardPaths(root, limits);
}
