using System.Globalization;
using Onnx;

namespace Bus.Ml.Sizing;

/// <summary>
/// Works out the shape of every tensor of an ONNX graph for one sample of a given shape, operator by operator (the
/// operators' shape rules as the ONNX specification writes them), and from those the <see cref="ActivationEstimate"/>.
/// Small integer and float tensors whose values are known ahead (initializers, constants, a tensor's shape) are
/// followed too, since a Reshape, Tile, Pad, Slice or Resize takes its sizes from them. An operator without a rule
/// here, or sizes that are not known ahead, make the graph unsized rather than guessed.
/// </summary>
internal sealed partial class ShapeInference
{
    const int MaxKnownValues = 64;

    static readonly HashSet<string> SameShape = new(StringComparer.Ordinal)
    {
        "Identity", "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Erf", "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "HardSwish",
        "LeakyRelu", "ThresholdedRelu", "Clip", "Sqrt", "Cast", "Neg", "Abs", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Not",
        "Softmax", "LogSoftmax", "Hardmax", "Dropout", "BatchNormalization", "InstanceNormalization", "LpNormalization", "LRN",
        "MeanVarianceNormalization", "LayerNormalization", "Gelu", "Mish", "Shrink", "IsNaN", "IsInf", "CumSum",
    };

    static readonly HashSet<string> Broadcast = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mean", "Sum", "PRelu", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual",
        "And", "Or", "Xor", "Where", "Mod",
    };

    static readonly HashSet<string> Reductions = new(StringComparer.Ordinal)
    {
        "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
        "ReduceSumSquare",
    };

    readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);
    readonly Dictionary<string, double[]> _values = new(StringComparer.Ordinal);
    readonly HashSet<string> _constant = new(StringComparer.Ordinal);
    readonly long _opset;

    ShapeInference(long opset) => _opset = opset;

    /// <summary>The estimate for one sample of <paramref name="sample"/> (without the batch axis) fed to the graph's one input.</summary>
    public static ActivationEstimate Measure(ModelProto model, IReadOnlyList<long> sample) => Measure(model, sample, out _);

    /// <summary>
    /// The estimate at the input's declared shape, each open dimension at 1: what every run asks at the least (the
    /// check for a shape a request or an evaluation set chooses comes when that shape is known).
    /// </summary>
    public static ActivationEstimate MeasureDeclared(ModelProto model)
    {
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var input = model.Graph.Input.FirstOrDefault(i => !initializers.Contains(i.Name));
        var dims = input?.Type?.TensorType?.Shape?.Dim;
        if (dims is null || dims.Count == 0)
            return ActivationEstimate.NotSized("the graph's input has no declared shape");
        return Measure(model, dims.Skip(1).Select(d => d.DimValue > 0 ? d.DimValue : 1).ToArray());
    }

    /// <summary>As <see cref="Measure(ModelProto, IReadOnlyList{long})"/>, with every tensor's shape (for the tests).</summary>
    public static ActivationEstimate Measure(ModelProto model, IReadOnlyList<long> sample, out IReadOnlyDictionary<string, long[]> shapes)
    {
        var opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(1).Max();
        var inference = new ShapeInference(opset);
        shapes = inference._shapes;
        try
        {
            return inference.Run(model.Graph, sample);
        }
        catch (UnsizedException ex)
        {
            return ActivationEstimate.NotSized(ex.Message);
        }
    }

    ActivationEstimate Run(GraphProto graph, IReadOnlyList<long> sample)
    {
        foreach (var tensor in graph.Initializer)
            Constant(tensor.Name, tensor);
        var input = graph.Input.Where(i => !_constant.Contains(i.Name)).ToList();
        if (input.Count != 1)
            throw new UnsizedException($"the graph has {input.Count} inputs besides its initializers");
        _shapes[input[0].Name] = [1, .. sample];

        long largest = 0, peak = 0;
        string largestAt = input[0].Name, peakAt = "-";
        foreach (var node in graph.Node)
        {
            var outputs = Infer(node);
            var at = $"{node.OpType} '{node.Name}'";
            if (node.Input.Where(i => i.Length > 0).All(_constant.Contains))
            {
                // Worked out once from constants (ONNX Runtime folds them): no activation.
                foreach (var (name, _) in outputs)
                    _constant.Add(name);
                continue;
            }

            var working = node.OpType is "Conv" or "ConvTranspose" ? Workspace(node, outputs[0].Shape) : 0;
            foreach (var name in node.Input.Where(i => i.Length > 0 && !_constant.Contains(i)).Distinct(StringComparer.Ordinal))
                working = Plus(working, Count(Shape(name)));
            foreach (var (name, shape) in outputs)
            {
                var count = Count(shape);
                working = Plus(working, count);
                if (count > largest)
                    (largest, largestAt) = (count, $"{at} (output {name}, shape [{Describe(shape)}])");
            }

            if (working > peak)
                (peak, peakAt) = (working, at);
        }

        var output = graph.Output.Count > 0 ? graph.Output[0].Name : throw new UnsizedException("the graph has no output");
        return new ActivationEstimate(largest, largestAt, peak, peakAt, Count(Shape(output)[1..]));
    }

    /// <summary>A convolution's unfolded patches (im2col): input channels per group × kernel area × output positions.</summary>
    long Workspace(NodeProto node, long[] output)
    {
        var kernel = Shape(node.Input[1]);
        var patches = node.OpType == "Conv" ? kernel[1..].Aggregate(1L, Times) : kernel[0] * kernel[2..].Aggregate(1L, Times);
        return Times(patches, output[2..].Aggregate(1L, Times));
    }

    List<(string Name, long[] Shape)> Infer(NodeProto node)
    {
        if (node.Domain is not ("" or "ai.onnx"))
            throw new UnsizedException($"operator {node.Domain}:{node.OpType} (node {node.Name})");
        if (node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
            throw new UnsizedException($"{node.OpType} '{node.Name}' runs a subgraph (control flow)");
        var op = node.OpType;
        var result = op switch
        {
            _ when SameShape.Contains(op) => Shape(node.Input[0]),
            _ when Broadcast.Contains(op) => node.Input.Where(i => i.Length > 0).Select(Shape).Aggregate(BroadcastShapes),
            _ when Reductions.Contains(op) => Reduce(node),
            "MatMul" => MatMul(Shape(node.Input[0]), Shape(node.Input[1])),
            "Gemm" => Gemm(node),
            "Conv" or "ConvTranspose" or "MaxPool" or "AveragePool" or "LpPool" => Windowed(node),
            "GlobalAveragePool" or "GlobalMaxPool" or "GlobalLpPool" => Shape(node.Input[0]).Select((d, i) => i < 2 ? d : 1).ToArray(),
            "Transpose" => Transpose(node),
            "Reshape" => Reshape(node),
            "Flatten" => Flatten(node),
            "Concat" => Concat(node),
            "Gather" => Gather(node),
            "Unsqueeze" => Unsqueeze(node),
            "Squeeze" => Squeeze(node),
            "Tile" => Tile(node),
            "Expand" => BroadcastShapes(Shape(node.Input[0]), Known(node.Input[1]).Select(v => (long)v).ToArray()),
            "Pad" => Pad(node),
            "Slice" => Slice(node),
            "Resize" or "Upsample" => Resize(node),
            "ArgMax" or "ArgMin" => ReduceAxes(Shape(node.Input[0]), [Attr(node, "axis", 0)], Attr(node, "keepdims", 1) == 1),
            "Constant" => ConstantNode(node),
            "Shape" => ShapeOf(node),
            "Size" => [],
            "ConstantOfShape" => Known(node.Input[0]).Select(v => (long)v).ToArray(),
            "DepthToSpace" or "SpaceToDepth" => DepthSpace(node),
            "LSTM" or "GRU" or "RNN" => Recurrent(node, out _),
            "Split" => Split(node)[0],
            _ => throw new UnsizedException($"operator {op} (node {node.Name}) has no sizing rule"),
        };
        if (result.Any(d => d < 0))
            throw new ModelConversionException($"{op} '{node.Name}' would give a tensor of shape [{Describe(result)}]: the model's shapes do not fit " +
                "together");

        var outputs = new List<(string, long[])>();
        if (op == "Split")
        {
            var parts = Split(node);
            for (var i = 0; i < node.Output.Count; i++)
                outputs.Add((node.Output[i], parts[i]));
        }
        else if (op is "LSTM" or "GRU" or "RNN")
        {
            Recurrent(node, out var state);
            for (var i = 0; i < node.Output.Count; i++)
                outputs.Add((node.Output[i], i == 0 ? result : state));
        }
        else
        {
            // Other outputs (Dropout's mask, MaxPool's indices) are no larger than the first.
            outputs.AddRange(node.Output.Select(o => (o, result)));
        }

        foreach (var (name, shape) in outputs.Where(o => o.Item1.Length > 0))
            _shapes[name] = shape;
        Propagate(node);
        return outputs.Where(o => o.Item1.Length > 0).ToList();
    }

    long[] Shape(string tensor) =>
        _shapes.TryGetValue(tensor, out var shape) ? shape : throw new UnsizedException($"the shape of '{tensor}' is not known ahead");

    double[] Known(string tensor) =>
        _values.TryGetValue(tensor, out var values) ? values : throw new UnsizedException($"the values of '{tensor}' are not known ahead");

    double[]? KnownOrNull(int index, NodeProto node) => node.Input.Count > index && node.Input[index].Length > 0 ? Known(node.Input[index]) : null;

    static long Attr(NodeProto node, string name, long fallback) => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    static long[]? Ints(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.Ints.ToArray() : null;

    static string? Text(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.S.ToStringUtf8() : null;

    static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();

    static long Axis(long axis, long rank) =>
        axis < -rank || axis >= rank ? throw new ModelConversionException($"axis {axis} is outside a rank-{rank} tensor") : axis < 0 ? axis + rank : axis;

    static long Clamp(long index, long rank) => Math.Clamp(index < 0 ? index + rank : index, 0, rank);

    /// <summary>Elements of a shape, saturating at <see cref="long.MaxValue"/> rather than overflowing.</summary>
    internal static long Count(long[] shape) => shape.Aggregate(1L, Times);

    static long Times(long a, long b) => a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;

    static long Plus(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    static string Describe(long[] shape) => string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    sealed class UnsizedException(string message) : Exception(message);
}
