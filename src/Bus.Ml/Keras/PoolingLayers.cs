using System.Text.Json;
using static Bus.Ml.Keras.KerasJson;
using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>MaxPooling2D, AveragePooling2D (run in NCHW), GlobalAveragePooling2D and GlobalMaxPooling2D.</summary>
internal static class PoolingLayers
{
    public static string MaxPooling2D(KerasLayer layer) => Pooling2D(layer, "MaxPool");

    public static string AveragePooling2D(KerasLayer layer) => Pooling2D(layer, "AveragePool");

    /// <summary>Strides default to the pool size, as in Keras.</summary>
    static string Pooling2D(KerasLayer layer, string op)
    {
        var (graph, config) = (layer.Graph, layer.Config);
        var pool = Pair(config, "pool_size");
        var strides = config.TryGetProperty("strides", out var s) && s.ValueKind != JsonValueKind.Null ? Pair(config, "strides") : pool;
        return graph.ToNhwc(graph.Node(op, [graph.ToNchw(layer.X)], attributes:
        [
            Ints("kernel_shape", pool),
            Ints("strides", strides),
            Text("auto_pad", Padding(config, layer.Name)),
        ]));
    }

    public static string MaxPooling1D(KerasLayer layer) => Pooling1D(layer, "MaxPool");

    public static string AveragePooling1D(KerasLayer layer) => Pooling1D(layer, "AveragePool");

    static string Pooling1D(KerasLayer layer, string op)
    {
        var (graph, config) = (layer.Graph, layer.Config);
        var pool = ConvolutionLayers.One(config, "pool_size", 2);
        var strides = config.TryGetProperty("strides", out var s) && s.ValueKind != JsonValueKind.Null ? ConvolutionLayers.One(config, "strides", pool) : pool;
        var pooled = graph.Node(op, [ConvolutionLayers.Ncw(graph, layer.X)], attributes:
        [
            Ints("kernel_shape", [pool]),
            Ints("strides", [strides]),
            Text("auto_pad", Padding(config, layer.Name)),
        ]);
        return ConvolutionLayers.Nwc(graph, pooled);
    }

    public static string GlobalAveragePooling2D(KerasLayer layer) => Global2D(layer, "ReduceMean");

    public static string GlobalMaxPooling2D(KerasLayer layer) => Global2D(layer, "ReduceMax");

    public static string GlobalAveragePooling1D(KerasLayer layer) => Global(layer, "ReduceMean", [1]);

    public static string GlobalMaxPooling1D(KerasLayer layer) => Global(layer, "ReduceMax", [1]);

    static string Global2D(KerasLayer layer, string op) => Global(layer, op, [1, 2]);

    static string Global(KerasLayer layer, string op, long[] axes)
    {
        if (layer.Config.TryGetProperty("keepdims", out var keep) && keep.ValueKind == JsonValueKind.True)
            throw new ModelConversionException($"layer {layer.Name}: keepdims=true is not supported");
        return layer.Graph.Ranked(layer.Graph.Node(op, [layer.X], attributes: [Ints("axes", axes), Int("keepdims", 0)]), 2);
    }
}
