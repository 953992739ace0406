using static Bus.Ml.Keras.KerasJson;
using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>Conv2D: the kernel transposed from Keras's [kh, kw, in, out] to ONNX's [out, in, kh, kw], run in NCHW.</summary>
internal static class ConvolutionLayers
{
    public static string Conv2D(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        var kernel = graph.Use(name, "kernel");
        var kernelName = graph.Initializer($"{name}/kernel_oihw", [kernel.Shape[3], kernel.Shape[2], kernel.Shape[0], kernel.Shape[1]],
            HwioToOihw(kernel.Values, kernel.Shape));
        var inputs = new List<string> { graph.ToNchw(layer.X), kernelName };
        if (Bool(config, "use_bias", true))
            inputs.Add(graph.Weight(name, "bias"));
        var kernelSize = Pair(config, "kernel_size");
        var strides = Pair(config, "strides", 1);
        var dilations = Pair(config, "dilation_rate", 1);
        var padding = Padding(config, name);
        // ONNX Runtime refuses SAME auto-padding with dilation; with stride 1 the pads are known, so spell them out.
        var pad = padding == "SAME_UPPER" && dilations.Any(d => d > 1)
            ? strides.Any(st => st > 1)
                ? throw new ModelConversionException($"layer {name}: dilation with strides > 1 is not supported")
                : Ints("pads", SamePads(kernelSize, dilations))
            : Text("auto_pad", padding);
        var conv = graph.Node("Conv", inputs, attributes:
        [
            Ints("kernel_shape", kernelSize),
            Ints("strides", strides),
            Ints("dilations", dilations),
            pad,
        ]);
        return Activations.Apply(graph, name, ActivationName(config), graph.ToNhwc(conv));
    }

    /// <summary>TensorFlow's SAME padding for stride 1: (k-1)·d in total, the odd one at the end.</summary>
    static long[] SamePads(long[] kernel, long[] dilations)
    {
        var totalH = (kernel[0] - 1) * dilations[0];
        var totalW = (kernel[1] - 1) * dilations[1];
        return [totalH / 2, totalW / 2, totalH - totalH / 2, totalW - totalW / 2];
    }

    static float[] HwioToOihw(float[] v, int[] s)
    {
        var (kh, kw, ci, co) = (s[0], s[1], s[2], s[3]);
        var r = new float[v.Length];
        for (var h = 0; h < kh; h++)
            for (var w = 0; w < kw; w++)
                for (var i = 0; i < ci; i++)
                    for (var o = 0; o < co; o++)
                        r[((o * ci + i) * kh + h) * kw + w] = v[((h * kw + w) * ci + i) * co + o];
        return r;
    }

    /// <summary>Conv1D: the kernel from Keras's [k, in, out] to ONNX's [out, in, k], run in NCW.</summary>
    public static string Conv1D(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        var kernel = graph.Use(name, "kernel");
        var (k, ci, co) = (kernel.Shape[0], kernel.Shape[1], kernel.Shape[2]);
        var oik = new float[kernel.Values.Length];
        for (var t = 0; t < k; t++)
            for (var i = 0; i < ci; i++)
                for (var o = 0; o < co; o++)
                    oik[(o * ci + i) * k + t] = kernel.Values[(t * ci + i) * co + o];
        var inputs = new List<string> { Ncw(graph, layer.X), graph.Initializer($"{name}/kernel_oik", [co, ci, k], oik) };
        if (Bool(config, "use_bias", true))
            inputs.Add(graph.Weight(name, "bias"));
        var strides = One(config, "strides", 1);
        var dilation = One(config, "dilation_rate", 1);
        if (config.TryGetProperty("padding", out var p) && p.GetString() == "causal")
            throw new ModelConversionException($"layer {name}: causal padding is not supported");
        var padding = Padding(config, name);
        var pad = padding == "SAME_UPPER" && dilation > 1
            ? strides > 1
                ? throw new ModelConversionException($"layer {name}: dilation with strides > 1 is not supported")
                : Ints("pads", [(k - 1) * dilation / 2, (k - 1) * dilation - (k - 1) * dilation / 2])
            : Text("auto_pad", padding);
        var conv = graph.Node("Conv", inputs, attributes: [Ints("kernel_shape", [k]), Ints("strides", [strides]), Ints("dilations", [dilation]), pad]);
        return Activations.Apply(graph, name, ActivationName(config), Nwc(graph, conv));
    }

    /// <summary>A 1-D setting given as one number or a one-element list.</summary>
    internal static long One(System.Text.Json.JsonElement config, string key, long fallback)
    {
        var values = Pair(config, key, fallback);
        return values.Length >= 1 && values.All(v => v == values[0]) ? values[0]
            : throw new ModelConversionException($"'{key}' must be one number for a 1-D layer");
    }

    internal static string Ncw(OnnxGraph graph, string x) => graph.Ranked(graph.Node("Transpose", [x], attributes: [Ints("perm", [0, 2, 1])]), 3);

    internal static string Nwc(OnnxGraph graph, string x) => graph.Ranked(graph.Node("Transpose", [x], attributes: [Ints("perm", [0, 2, 1])]), 3);
}
