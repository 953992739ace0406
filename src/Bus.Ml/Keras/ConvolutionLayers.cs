using static Bus.Ml.Keras.KerasJson;
using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>
/// Conv2D (the kernel transposed from Keras's [kh, kw, in, out] to ONNX's [out, in, kh, kw]), DepthwiseConv2D,
/// SeparableConv2D and Conv1D, run in NCHW (NCW).
/// </summary>
internal static class ConvolutionLayers
{
    public static string Conv2D(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        var kernel = graph.Use(name, "kernel");
        var kernelName = graph.Initializer($"{name}/kernel_oihw", [kernel.Shape[3], kernel.Shape[2], kernel.Shape[0], kernel.Shape[1]],
            HwioToOihw(kernel.Values, kernel.Shape));
        var conv = Conv(graph, name, config, graph.ToNchw(layer.X), kernelName, Bool(config, "use_bias", true) ? graph.Weight(name, "bias") : null, 1);
        return Activations.Apply(graph, name, ActivationName(config), graph.ToNhwc(conv));
    }

    /// <summary>DepthwiseConv2D: each input channel convolved with its own depth_multiplier kernels (an ONNX grouped Conv).</summary>
    public static string DepthwiseConv2D(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        var depthwise = Depthwise(graph, name, config, graph.ToNchw(layer.X), "depthwise_kernel",
            Bool(config, "use_bias", true) ? graph.Weight(name, "bias") : null);
        return Activations.Apply(graph, name, ActivationName(config), graph.ToNhwc(depthwise));
    }

    /// <summary>SeparableConv2D: a depthwise convolution, then a 1x1 pointwise one (with the bias).</summary>
    public static string SeparableConv2D(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        var depthwise = Depthwise(graph, name, config, graph.ToNchw(layer.X), "depthwise_kernel", null);
        var pointwise = graph.Use(name, "pointwise_kernel");
        var pointwiseName = graph.Initializer($"{name}/pointwise_oihw", [pointwise.Shape[3], pointwise.Shape[2], 1, 1],
            HwioToOihw(pointwise.Values, pointwise.Shape));
        var inputs = new List<string> { depthwise, pointwiseName };
        if (Bool(config, "use_bias", true))
            inputs.Add(graph.Weight(name, "bias"));
        var conv = graph.Node("Conv", inputs, attributes: [Ints("kernel_shape", [1, 1])]);
        return Activations.Apply(graph, name, ActivationName(config), graph.ToNhwc(conv));
    }

    /// <summary>
    /// Conv2DTranspose: Keras's [kh, kw, out, in] as ONNX's [in, out, kh, kw]. "same" gives input * strides (TensorFlow puts
    /// the odd padding at the end, as SAME_UPPER does), "valid" (input - 1) * strides + kernel; no dilation, no output_padding.
    /// </summary>
    public static string Conv2DTranspose(KerasLayer layer)
    {
        var (graph, name, config) = (layer.Graph, layer.Name, layer.Config);
        if (Pair(config, "dilation_rate", 1).Any(d => d != 1))
            throw new ModelConversionException($"layer {name}: Conv2DTranspose with dilation is not supported");
        if (config.TryGetProperty("output_padding", out var op) && op.ValueKind != System.Text.Json.JsonValueKind.Null)
            throw new ModelConversionException($"layer {name}: Conv2DTranspose with output_padding is not supported");
        var kernel = graph.Use(name, "kernel");
        var (kh, kw, co, ci) = (kernel.Shape[0], kernel.Shape[1], kernel.Shape[2], kernel.Shape[3]);
        var values = new float[kernel.Values.Length];
        for (var h = 0; h < kh; h++)
            for (var w = 0; w < kw; w++)
                for (var o = 0; o < co; o++)
                    for (var i = 0; i < ci; i++)
                        values[((i * co + o) * kh + h) * kw + w] = kernel.Values[((h * kw + w) * co + o) * ci + i];
        var inputs = new List<string> { graph.ToNchw(layer.X), graph.Initializer($"{name}/kernel_iohw", [ci, co, kh, kw], values) };
        if (Bool(config, "use_bias", true))
            inputs.Add(graph.Weight(name, "bias"));
        var conv = graph.Node("ConvTranspose", inputs, attributes:
        [
            Ints("kernel_shape", [kh, kw]),
            Ints("strides", Pair(config, "strides", 1)),
            Text("auto_pad", Padding(config, name)),
        ]);
        return Activations.Apply(graph, name, ActivationName(config), graph.ToNhwc(conv));
    }

    /// <summary>The depthwise step: Keras's [kh, kw, in, multiplier] as ONNX's [in * multiplier, 1, kh, kw], group = in.</summary>
    static string Depthwise(OnnxGraph graph, string name, System.Text.Json.JsonElement config, string nchw, string weight, string? bias)
    {
        var kernel = graph.Use(name, weight);
        var (kh, kw, ci, m) = (kernel.Shape[0], kernel.Shape[1], kernel.Shape[2], kernel.Shape[3]);
        var values = new float[kernel.Values.Length];
        for (var h = 0; h < kh; h++)
            for (var w = 0; w < kw; w++)
                for (var c = 0; c < ci; c++)
                    for (var j = 0; j < m; j++)
                        values[((c * m + j) * kh + h) * kw + w] = kernel.Values[((h * kw + w) * ci + c) * m + j];
        var kernelName = graph.Initializer($"{name}/{weight}_oihw", [ci * m, 1, kh, kw], values);
        return Conv(graph, name, config, nchw, kernelName, bias, ci);
    }

    /// <summary>One ONNX Conv in NCHW with the layer's kernel size, strides, dilation and padding.</summary>
    static string Conv(OnnxGraph graph, string name, System.Text.Json.JsonElement config, string nchw, string kernel, string? bias, long group)
    {
        var inputs = new List<string> { nchw, kernel };
        if (bias is not null)
            inputs.Add(bias);
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
        return graph.Node("Conv", inputs, attributes:
        [
            Ints("kernel_shape", kernelSize),
            Ints("strides", strides),
            Ints("dilations", dilations),
            Int("group", group),
            pad,
        ]);
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

    /// <summary>NWC to NCW and back: the same swap of the last two axes.</summary>
    internal static string Ncw(OnnxGraph graph, string x) => graph.Ranked(graph.Node("Transpose", [x], attributes: [Ints("perm", [0, 2, 1])]), 3);

    internal static string Nwc(OnnxGraph graph, string x) => Ncw(graph, x);
}
