using Onnx;

namespace Bus.Ml.Sizing;

/// <summary>The values of small tensors known ahead (initializers, constants, shapes), which shape computations read.</summary>
internal sealed partial class ShapeInference
{
    void Constant(string name, TensorProto tensor)
    {
        _constant.Add(name);
        _shapes[name] = tensor.Dims.ToArray();
        if (Values(tensor) is { } values)
            _values[name] = values;
    }

    static double[]? Values(TensorProto tensor)
    {
        var count = tensor.Dims.Aggregate(1L, Times);
        if (count > MaxKnownValues)
            return null;
        var raw = tensor.RawData.ToByteArray();
        return (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Int64 => raw.Length > 0
                ? Enumerable.Range(0, raw.Length / 8).Select(i => (double)BitConverter.ToInt64(raw, i * 8)).ToArray()
                : tensor.Int64Data.Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Int32 => raw.Length > 0
                ? Enumerable.Range(0, raw.Length / 4).Select(i => (double)BitConverter.ToInt32(raw, i * 4)).ToArray()
                : tensor.Int32Data.Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Float => raw.Length > 0
                ? Enumerable.Range(0, raw.Length / 4).Select(i => (double)BitConverter.ToSingle(raw, i * 4)).ToArray()
                : tensor.FloatData.Select(v => (double)v).ToArray(),
            _ => null,
        };
    }

    long[] ConstantNode(NodeProto node)
    {
        var attribute = node.Attribute.FirstOrDefault() ?? throw new UnsizedException($"Constant '{node.Name}' has no value");
        switch (attribute.Name)
        {
            case "value":
                Constant(node.Output[0], attribute.T);
                return attribute.T.Dims.ToArray();
            case "value_float":
                _values[node.Output[0]] = [attribute.F];
                return [];
            case "value_int":
                _values[node.Output[0]] = [attribute.I];
                return [];
            case "value_floats":
                _values[node.Output[0]] = attribute.Floats.Select(v => (double)v).ToArray();
                return [attribute.Floats.Count];
            case "value_ints":
                _values[node.Output[0]] = attribute.Ints.Select(v => (double)v).ToArray();
                return [attribute.Ints.Count];
            default:
                throw new UnsizedException($"Constant '{node.Name}' has a {attribute.Name}");
        }
    }

    long[] ShapeOf(NodeProto node)
    {
        var shape = Shape(node.Input[0]);
        var (start, end) = (Clamp(Attr(node, "start", 0), shape.Length), Clamp(Attr(node, "end", shape.Length), shape.Length));
        _values[node.Output[0]] = shape[(int)start..(int)Math.Max(start, end)].Select(d => (double)d).ToArray();
        return [_values[node.Output[0]].Length];
    }

    /// <summary>Values through the operators that shape computations use (Cast, Gather, Unsqueeze, Concat, Slice, arithmetic).</summary>
    void Propagate(NodeProto node)
    {
        var inputs = node.Input.Select(i => i.Length > 0 && _values.TryGetValue(i, out var v) ? v : null).ToList();
        if (node.Output.Count == 0 || inputs.Count == 0 || inputs[0] is null || _values.ContainsKey(node.Output[0]))
            return;
        var first = inputs[0]!;
        var result = node.OpType switch
        {
            "Identity" or "Cast" or "Unsqueeze" or "Squeeze" or "Reshape" or "Flatten" => first,
            "Concat" when inputs.All(i => i is not null) => inputs.SelectMany(i => i!).ToArray(),
            "Gather" when inputs.Count > 1 && inputs[1] is { } indices && Shape(node.Input[0]).Length == 1 =>
                indices.Select(i => first[(int)(i < 0 ? i + first.Length : i)]).ToArray(),
            "Slice" when Shape(node.Input[0]).Length == 1 => SliceValues(node, first),
            "Add" or "Sub" or "Mul" or "Div" when inputs.Count == 2 && inputs[1] is { } second && (second.Length == 1 || second.Length == first.Length) =>
                first.Select((v, i) => Arithmetic(node.OpType, v, second[second.Length == 1 ? 0 : i])).ToArray(),
            _ => null,
        };
        if (result is not null && result.Length <= MaxKnownValues)
            _values[node.Output[0]] = result;
    }

    double[] SliceValues(NodeProto node, double[] values)
    {
        var (start, length, step) = SliceAxis(node, 0, values.Length);
        return Enumerable.Range(0, (int)length).Select(i => values[(int)(start + i * step)]).ToArray();
    }

    static double Arithmetic(string op, double a, double b) => op switch
    {
        "Add" => a + b,
        "Sub" => a - b,
        "Mul" => a * b,
        _ => b == 0 ? throw new UnsizedException("a shape computation divides by zero") : Math.Truncate(a / b),
    };
}
