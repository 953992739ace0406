using Onnx;

namespace Bus.Ml.Sizing;

/// <summary>One shape rule per operator, as the ONNX specification gives it.</summary>
internal sealed partial class ShapeInference
{
    static long[] BroadcastShapes(long[] a, long[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var x = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            var y = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            result[i] = x == y || y == 1 ? x : x == 1 ? y
                : throw new ModelConversionException($"shapes [{Describe(a)}] and [{Describe(b)}] do not broadcast together");
        }

        return result;
    }

    static long[] MatMul(long[] a, long[] b)
    {
        if (a.Length == 0 || b.Length == 0)
            throw new ModelConversionException("MatMul of a scalar");
        var left = a.Length == 1 ? [1, a[0]] : a;
        var right = b.Length == 1 ? [b[0], 1] : b;
        if (left[^1] != right[^2])
            throw new ModelConversionException($"MatMul of [{Describe(a)}] by [{Describe(b)}]: the inner sizes differ");
        var batch = BroadcastShapes(left[..^2], right[..^2]);
        long[] result = [.. batch, left[^2], right[^1]];
        if (a.Length == 1)
            result = [.. result[..^2], result[^1]];
        if (b.Length == 1)
            result = result[..^1];
        return result;
    }

    long[] Gemm(NodeProto node)
    {
        var (a, b) = (Shape(node.Input[0]), Shape(node.Input[1]));
        var m = Attr(node, "transA", 0) == 1 ? a[^1] : a[0];
        var n = Attr(node, "transB", 0) == 1 ? b[0] : b[^1];
        return [m, n];
    }

    /// <summary>Conv, ConvTranspose and the pools: NC then one output size per spatial axis, as the specification computes it.</summary>
    long[] Windowed(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        if (x.Length < 3)
            throw new ModelConversionException($"{node.OpType} '{node.Name}' takes a tensor of rank {x.Length}; it needs N, C and a spatial axis");
        var spatial = x.Length - 2;
        var transposed = node.OpType == "ConvTranspose";
        var weights = node.OpType is "Conv" or "ConvTranspose" ? Shape(node.Input[1]) : null;
        var kernel = Ints(node, "kernel_shape") ?? weights?[2..] ?? throw new UnsizedException($"{node.OpType} '{node.Name}' has no kernel_shape");
        var strides = Ints(node, "strides") ?? Ones(spatial);
        var dilations = Ints(node, "dilations") ?? Ones(spatial);
        var pads = Ints(node, "pads") ?? new long[spatial * 2];
        var autoPad = Text(node, "auto_pad") ?? "NOTSET";
        var channels = weights is null ? x[1] : transposed ? weights[1] * Attr(node, "group", 1) : weights[0];
        var result = new long[x.Length];
        (result[0], result[1]) = (x[0], channels);
        var outputShape = transposed ? Ints(node, "output_shape") : null;
        var outputPadding = transposed ? Ints(node, "output_padding") ?? new long[spatial] : null;
        var ceil = Attr(node, "ceil_mode", 0) == 1;
        for (var i = 0; i < spatial; i++)
        {
            var (size, k, s, d) = (x[i + 2], kernel[i], strides[i], dilations[i]);
            var span = (k - 1) * d + 1;
            result[i + 2] = transposed
                ? outputShape is not null ? outputShape[^(spatial - i)]
                    : autoPad is "SAME_UPPER" or "SAME_LOWER" ? size * s
                    : s * (size - 1) + outputPadding![i] + span - pads[i] - pads[i + spatial]
                : autoPad is "SAME_UPPER" or "SAME_LOWER" ? (size + s - 1) / s
                : autoPad == "VALID" ? Steps(size - span, s, ceil)
                : Steps(size + pads[i] + pads[i + spatial] - span, s, ceil);
        }

        return result;
    }

    static long Steps(long room, long stride, bool ceil) =>
        room < 0 ? -1 : (ceil ? (room + stride - 1) / stride : room / stride) + 1;

    long[] Transpose(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var perm = Ints(node, "perm") ?? Enumerable.Range(0, x.Length).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != x.Length || perm.Any(p => p < 0 || p >= x.Length))
            throw new ModelConversionException($"Transpose '{node.Name}': perm [{Describe(perm)}] does not fit a rank-{x.Length} tensor");
        return perm.Select(p => x[p]).ToArray();
    }

    long[] Reshape(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var target = Known(node.Input[1]).Select(v => (long)v).ToArray();
        var allowZero = Attr(node, "allowzero", 0) == 1;
        var result = target.Select((d, i) => d == 0 && !allowZero ? i < x.Length ? x[i] : 0 : d).ToArray();
        var open = Array.IndexOf(result, -1L);
        if (open >= 0)
        {
            var known = result.Where((d, i) => i != open).Aggregate(1L, Times);
            result[open] = known == 0 ? 0 : Count(x) / known;
        }

        if (Count(result) != Count(x))
            throw new ModelConversionException($"Reshape '{node.Name}' of [{Describe(x)}] to [{Describe(target)}]: the sizes differ");
        return result;
    }

    long[] Flatten(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var axis = (int)Axis(Attr(node, "axis", 1), x.Length + 1);
        return [x[..axis].Aggregate(1L, Times), x[axis..].Aggregate(1L, Times)];
    }

    long[] Concat(NodeProto node)
    {
        var shapes = node.Input.Where(i => i.Length > 0).Select(Shape).ToList();
        var axis = (int)Axis(Attr(node, "axis", 0), shapes[0].Length);
        var result = shapes[0].ToArray();
        foreach (var other in shapes.Skip(1))
        {
            if (other.Length != result.Length || other.Where((d, i) => i != axis && d != result[i]).Any())
                throw new ModelConversionException($"Concat '{node.Name}' of [{Describe(shapes[0])}] and [{Describe(other)}]: the shapes differ off the axis");
            result[axis] = Plus(result[axis], other[axis]);
        }

        return result;
    }

    long[] Gather(NodeProto node)
    {
        var data = Shape(node.Input[0]);
        var axis = (int)Axis(Attr(node, "axis", 0), data.Length);
        return [.. data[..axis], .. Shape(node.Input[1]), .. data[(axis + 1)..]];
    }

    long[] AxesOf(NodeProto node) =>
        Ints(node, "axes") ?? KnownOrNull(1, node)?.Select(v => (long)v).ToArray() ?? [];

    long[] Unsqueeze(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var rank = x.Length + AxesOf(node).Length;
        var axes = AxesOf(node).Select(a => Axis(a, rank)).ToHashSet();
        var result = new long[rank];
        for (int i = 0, j = 0; i < rank; i++)
            result[i] = axes.Contains(i) ? 1 : x[j++];
        return result;
    }

    long[] Squeeze(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var axes = AxesOf(node).Select(a => Axis(a, x.Length)).ToHashSet();
        return x.Where((d, i) => axes.Count == 0 ? d != 1 : !axes.Contains(i)).ToArray();
    }

    long[] Tile(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var repeats = Known(node.Input[1]);
        return repeats.Length == x.Length ? x.Select((d, i) => Times(d, (long)repeats[i])).ToArray()
            : throw new ModelConversionException($"Tile '{node.Name}': {repeats.Length} repeats for a rank-{x.Length} tensor");
    }

    long[] Pad(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var pads = (Ints(node, "pads") ?? Known(node.Input[1]).Select(v => (long)v).ToArray());
        var axes = KnownOrNull(3, node)?.Select(v => Axis((long)v, x.Length)).ToArray() ?? Enumerable.Range(0, x.Length).Select(i => (long)i).ToArray();
        if (pads.Length != axes.Length * 2)
            throw new ModelConversionException($"Pad '{node.Name}': {pads.Length} pads for {axes.Length} axes");
        var result = x.ToArray();
        for (var i = 0; i < axes.Length; i++)
            result[axes[i]] = Plus(result[axes[i]], pads[i] + pads[i + axes.Length]);
        return result;
    }

    long[] Slice(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var result = x.ToArray();
        var axes = Ints(node, "axes") ?? KnownOrNull(3, node)?.Select(v => (long)v).ToArray()
            ?? Enumerable.Range(0, Ints(node, "starts")?.Length ?? Known(node.Input[1]).Length).Select(i => (long)i).ToArray();
        for (var i = 0; i < axes.Length; i++)
        {
            var axis = (int)Axis(axes[i], x.Length);
            result[axis] = SliceAxis(node, i, x[axis]).Length;
        }

        return result;
    }

    /// <summary>The <paramref name="i"/>th sliced axis of size <paramref name="size"/>: where it starts, how many it keeps, the step.</summary>
    (long Start, long Length, long Step) SliceAxis(NodeProto node, int i, long size)
    {
        var starts = Ints(node, "starts") ?? Known(node.Input[1]).Select(v => (long)v).ToArray();
        var ends = Ints(node, "ends") ?? Known(node.Input[2]).Select(v => v >= long.MaxValue ? long.MaxValue : (long)v).ToArray();
        var step = KnownOrNull(4, node) is { } steps ? (long)steps[i] : 1;
        if (step == 0)
            throw new ModelConversionException($"Slice '{node.Name}' has a step of 0");
        var (start, end) = (starts[i] < 0 ? starts[i] + size : starts[i], ends[i] < 0 ? ends[i] + size : ends[i]);
        if (step > 0)
        {
            (start, end) = (Math.Clamp(start, 0, size), Math.Clamp(end, 0, size));
            return (start, Math.Max(0, (end - start + step - 1) / step), step);
        }

        (start, end) = (Math.Clamp(start, 0, size - 1), Math.Clamp(end, -1, size - 1));
        return (start, Math.Max(0, (start - end - step - 1) / -step), step);
    }

    long[] Resize(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        if (node.OpType == "Resize" && _opset >= 11 && KnownOrNull(3, node) is { Length: > 0 } sizes)
            return sizes.Select(v => (long)v).ToArray();
        var scales = node.Attribute.FirstOrDefault(a => a.Name == "scales")?.Floats.Select(f => (double)f).ToArray()
            ?? KnownOrNull(node.OpType == "Resize" && _opset >= 11 ? 2 : 1, node)
            ?? throw new UnsizedException($"{node.OpType} '{node.Name}' has neither scales nor sizes");
        if (scales.Length != x.Length || scales.Any(s => !(s > 0) || double.IsInfinity(s)))
            throw new ModelConversionException($"{node.OpType} '{node.Name}': scales [{string.Join(",", scales)}] do not fit a rank-{x.Length} tensor");
        return x.Select((d, i) => (long)Math.Min(long.MaxValue / 2, Math.Floor(d * scales[i]))).ToArray();
    }

    long[] Reduce(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var axes = AxesOf(node);
        if (axes.Length == 0 && Attr(node, "noop_with_empty_axes", 0) == 1)
            return x;
        return ReduceAxes(x, axes.Length == 0 ? Enumerable.Range(0, x.Length).Select(i => (long)i).ToArray() : axes, Attr(node, "keepdims", 1) == 1);
    }

    static long[] ReduceAxes(long[] x, long[] axes, bool keep)
    {
        var reduced = axes.Select(a => Axis(a, x.Length)).ToHashSet();
        return keep ? x.Select((d, i) => reduced.Contains(i) ? 1 : d).ToArray() : x.Where((d, i) => !reduced.Contains(i)).ToArray();
    }

    long[] DepthSpace(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var b = Attr(node, "blocksize", 1);
        return node.OpType == "DepthToSpace" ? [x[0], x[1] / (b * b), x[2] * b, x[3] * b] : [x[0], x[1] * b * b, x[2] / b, x[3] / b];
    }

    /// <summary>LSTM, GRU, RNN: Y is [steps, directions, batch, hidden] (layout 1: [batch, steps, directions, hidden]); Y_h and Y_c the last step's.</summary>
    long[] Recurrent(NodeProto node, out long[] state)
    {
        var x = Shape(node.Input[0]);
        var hidden = Attr(node, "hidden_size", -1);
        if (hidden <= 0 || x.Length != 3)
            throw new UnsizedException($"{node.OpType} '{node.Name}' has no hidden_size or a rank-{x.Length} input");
        var directions = Text(node, "direction") == "bidirectional" ? 2 : 1;
        var batchFirst = Attr(node, "layout", 0) == 1;
        var (steps, batch) = batchFirst ? (x[1], x[0]) : (x[0], x[1]);
        state = batchFirst ? [batch, directions, hidden] : [directions, batch, hidden];
        return batchFirst ? [batch, steps, directions, hidden] : [steps, directions, batch, hidden];
    }

    List<long[]> Split(NodeProto node)
    {
        var x = Shape(node.Input[0]);
        var axis = (int)Axis(Attr(node, "axis", 0), x.Length);
        var parts = Ints(node, "split") ?? KnownOrNull(1, node)?.Select(v => (long)v).ToArray();
        if (parts is null)
        {
            var n = node.Output.Count;
            var each = (x[axis] + n - 1) / n;
            parts = Enumerable.Range(0, n).Select(i => Math.Max(0, Math.Min(each, x[axis] - i * each))).ToArray();
        }

        return parts.Select(p =>
        {
            var shape = x.ToArray();
            shape[axis] = p;
            return shape;
        }).ToList();
    }
}
