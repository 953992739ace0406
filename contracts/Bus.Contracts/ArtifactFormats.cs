namespace Bus.Contracts;

/// <summary>Artifact formats a training job may announce (<c>artifactFormat</c>).</summary>
public static class ArtifactFormats
{
    /// <summary>Keras layers model as written by TF.js / tensorflowjs_converter: model.json plus weight shards.</summary>
    public const string TfjsLayers = "tfjs-layers";

    /// <summary>An ONNX model (for example from tf2onnx).</summary>
    public const string Onnx = "onnx";

    /// <summary>Keras 3's <c>model.save("model.keras")</c>: a zip of config.json, metadata.json and model.weights.h5 (or sharded weights).</summary>
    public const string Keras = "keras";

    /// <summary>The legacy HDF5 file of <c>model.save("model.h5")</c>: the config in <c>model_config</c>, the weights in <c>model_weights</c>.</summary>
    public const string KerasH5 = "keras-h5";

    /// <summary>Every accepted value, in the order the documentation lists them.</summary>
    public static readonly IReadOnlyList<string> All = [Keras, KerasH5, TfjsLayers, Onnx];
}
