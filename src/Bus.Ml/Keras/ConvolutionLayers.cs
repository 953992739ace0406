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
}
