using System.Collections.Frozen;
using System.Text.Json;
using static Bus.Ml.Keras.KerasJson;

namespace Bus.Ml.Keras;

/// <summary>
/// Every Keras layer the converter knows, by class name, with the emitter that writes it as ONNX: the one place a layer
/// is added, and the source of <see cref="KerasOnnxConverter.SupportedLayers"/>. <c>InputLayer</c> is the graph
/// builder's (it becomes the graph's input), so it is supported without an emitter.
/// </summary>
internal static class LayerCatalog
{
    public const string InputLayer = "InputLayer";

    static readonly FrozenDictionary<string, LayerEmitter> Emitters = new Dictionary<string, LayerEmitter>(StringComparer.Ordinal)
    {
        ["Dense"] = CoreLayers.Dense,
        ["Activation"] = CoreLayers.Activation,
        ["Dropout"] = CoreLayers.Dropout,
        ["ReLU"] = ActivationLayers.ReLU,
        ["LeakyReLU"] = ActivationLayers.LeakyReLU,
        ["Conv2D"] = ConvolutionLayers.Conv2D,
        ["MaxPooling2D"] = PoolingLayers.MaxPooling2D,
        ["AveragePooling2D"] = PoolingLayers.AveragePooling2D,
        ["GlobalAveragePooling2D"] = PoolingLayers.GlobalAveragePooling2D,
        ["BatchNormalization"] = NormalizationLayers.BatchNormalization,
        ["Add"] = MergingLayers.Add,
        ["Multiply"] = MergingLayers.Multiply,
        ["Average"] = MergingLayers.Average,
        ["Maximum"] = MergingLayers.Maximum,
        ["Minimum"] = MergingLayers.Minimum,
        ["GlobalMaxPooling2D"] = PoolingLayers.GlobalMaxPooling2D,
        ["GlobalAveragePooling1D"] = PoolingLayers.GlobalAveragePooling1D,
        ["GlobalMaxPooling1D"] = PoolingLayers.GlobalMaxPooling1D,
        ["ZeroPadding2D"] = ReshapingLayers.ZeroPadding2D,
        ["Cropping2D"] = ReshapingLayers.Cropping2D,
        ["Permute"] = ReshapingLayers.Permute,
        ["RepeatVector"] = ReshapingLayers.RepeatVector,
        ["Rescaling"] = ReshapingLayers.Rescaling,
        ["Embedding"] = CoreLayers.Embedding,
        ["TimeDistributed"] = CoreLayers.TimeDistributed,
        ["Conv1D"] = ConvolutionLayers.Conv1D,
        ["DepthwiseConv2D"] = ConvolutionLayers.DepthwiseConv2D,
        ["SeparableConv2D"] = ConvolutionLayers.SeparableConv2D,
        ["Conv2DTranspose"] = ConvolutionLayers.Conv2DTranspose,
        ["MaxPooling1D"] = PoolingLayers.MaxPooling1D,
        ["AveragePooling1D"] = PoolingLayers.AveragePooling1D,
        ["LayerNormalization"] = NormalizationLayers.LayerNormalization,
        ["Softmax"] = ActivationLayers.Softmax,
        ["Concatenate"] = MergingLayers.Concatenate,
        ["Flatten"] = ReshapingLayers.Flatten,
        ["Reshape"] = ReshapingLayers.Reshape,
        ["UpSampling2D"] = ReshapingLayers.UpSampling2D,
        ["Subtract"] = MergingLayers.Subtract,
        ["ZeroPadding1D"] = ReshapingLayers.ZeroPadding1D,
        ["Normalization"] = NormalizationLayers.Normalization,
        ["LSTM"] = RecurrentLayers.Lstm,
        ["GRU"] = RecurrentLayers.Gru,
        ["Bidirectional"] = RecurrentLayers.Bidirectional,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static readonly IReadOnlySet<string> Supported = Emitters.Keys.Append(InputLayer).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Emits <paramref name="layer"/> (a Keras layer object) applied to <paramref name="inputs"/>; returns its output tensor.</summary>
    /// <summary>
    /// A layer's dtype: a string (Keras 2, TF.js) or a DTypePolicy object (Keras 3: <c>{"class_name": "DTypePolicy",
    /// "config": {"name": "float32"}}</c>), checked alike: float32 only (mixed precision policies included in the refusal).
    /// </summary>
    public static void CheckDtype(string name, JsonElement config)
    {
        if (!config.TryGetProperty("dtype", out var dtype) || dtype.ValueKind == JsonValueKind.Null)
            return;
        var value = dtype.ValueKind switch
        {
            JsonValueKind.String => dtype.GetString(),
            JsonValueKind.Object when dtype.TryGetProperty("config", out var policy) && policy.ValueKind == JsonValueKind.Object
                && policy.TryGetProperty("name", out var policyName) && policyName.ValueKind == JsonValueKind.String => policyName.GetString(),
            _ => throw new ModelConversionException(
                $"layer {name} has a dtype this converter cannot read: {dtype.GetRawText()[..Math.Min(200, dtype.GetRawText().Length)]}"),
        };
        if (value != "float32")
            throw new ModelConversionException($"layer {name} has dtype '{value}'; only float32 is supported");
    }

    public static string Emit(OnnxGraph graph, JsonElement layer, IReadOnlyList<string> inputs)
    {
        var type = Str(layer, "class_name");
        var config = layer.GetProperty("config");
        var name = LayerName(layer);
        if (!Emitters.TryGetValue(type, out var emit))
            throw new ModelConversionException($"unsupported layer '{type}' ({name}); supported: " +
                $"{string.Join(", ", Supported.Order(StringComparer.Ordinal))}");
        CheckDtype(name, config);
        if (config.TryGetProperty("data_format", out var format) && format.GetString() is { } f && f != "channels_last")
            throw new ModelConversionException($"layer {name} uses data_format '{f}'; only channels_last is supported");
        return emit(new KerasLayer(graph, type, name, config, inputs));
    }
}
