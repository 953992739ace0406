namespace Bus.Contracts;

/// <summary>Artifact formats a training job may announce.</summary>
public static class ArtifactFormats
{
    /// <summary>Keras layers model as written by TF.js / tensorflowjs_converter: model.json plus weight shards.</summary>
    public const string TfjsLayers = "tfjs-layers";

    /// <summary>An ONNX model (for example from tf2onnx).</summary>
    public const string Onnx = "onnx";
}
