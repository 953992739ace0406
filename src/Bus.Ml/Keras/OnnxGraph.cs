using System.Globalization;
using Google.Protobuf;
using Onnx;
using static Bus.Ml.Keras.OnnxAttributes;

namespace Bus.Ml.Keras;

/// <summary>
/// The ONNX graph under construction: nodes with generated names, initializers, the rank of each tensor where it is
/// known, and the Keras weights each layer takes (so that weights no layer used can be refused).
/// </summary>
internal sealed class OnnxGraph(IReadOnlyDictionary<string, KerasTensor> weights, ArtifactLimits limits)
{
    readonly GraphProto _graph = new() { Name = "keras" };
    readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);
    int _counter;

    public ArtifactLimits Limits => limits;

    public HashSet<string> UsedWeights { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the model was saved by Keras 3 (its layers carry <c>module</c>): some names changed meaning (hard_sigmoid).</summary>
    public bool Keras3 { get; set; }

    /// <summary>The tensor's rank where a node set it; 0 when unknown.</summary>
    public int Rank(string tensor) => _ranks.GetValueOrDefault(tensor, 0);

    /// <summary>Records <paramref name="tensor"/>'s rank and returns it, so that an emitter can end with <c>return graph.Ranked(x, r)</c>.</summary>
    public string Ranked(string tensor, int rank)
    {
        _ranks[tensor] = rank;
        return tensor;
    }

    public string AddInput(long[] shape)
    {
        if (_graph.Input.Count > 0)
            throw new ModelConversionException("the model has more than one input layer (one is supported)");
        ArtifactLimits.Elements(shape.Skip(1).Select(d => d < 0 ? 1 : d), limits.MaxTensorElements, "the model's input shape");
        _graph.Input.Add(ValueInfo(KerasOnnxConverter.InputName, shape));
        return Ranked(KerasOnnxConverter.InputName, shape.Length);
    }

    /// <summary>The model's output; <paramref name="penultimate"/>, the last layer's input, becomes the embedding output.</summary>
    public void AddOutput(string tensor, string? penultimate)
    {
        Output(tensor, KerasOnnxConverter.OutputName);
        if (penultimate is not null && penultimate != KerasOnnxConverter.InputName)
            Output(penultimate, KerasOnnxConverter.EmbeddingName);
    }

    void Output(string tensor, string name)
    {
        Node("Identity", [tensor], name);
        _graph.Output.Add(new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
    }

    static ValueInfoProto ValueInfo(string name, long[] shape)
    {
        var tensorShape = new TensorShapeProto();
        // Each open axis is named on its own (batch, d1, d2, ...): ONNX Runtime takes names alike as the same size.
        for (var axis = 0; axis < shape.Length; axis++)
        {
            tensorShape.Dim.Add(shape[axis] < 0
                ? new TensorShapeProto.Types.Dimension { DimParam = axis == 0 ? "batch" : $"d{axis}" }
                : new TensorShapeProto.Types.Dimension { DimValue = shape[axis] });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }

    /// <summary>Adds a node and returns its output's name (generated from the op unless given).</summary>
    public string Node(string op, IEnumerable<string> inputs, string? output = null, AttributeProto[]? attributes = null)
    {
        output ??= $"{op.ToLowerInvariant()}_{_counter++.ToString(CultureInfo.InvariantCulture)}";
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        if (attributes is not null)
            node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a node built by the caller (one with several outputs, say).</summary>
    public void Add(NodeProto node) => _graph.Node.Add(node);

    /// <summary>The Keras weight <c>layer/weight</c>, marked used; a conversion error when the manifest lacks it.</summary>
    public KerasTensor Use(string layer, string weight)
    {
        var key = $"{layer}/{weight}";
        if (!weights.TryGetValue(key, out var w))
            throw new ModelConversionException($"weight '{key}' is missing from the model's weights");
        UsedWeights.Add(key);
        return w;
    }

    /// <summary>The Keras weight <c>layer/weight</c> as an initializer of the same shape.</summary>
    public string Weight(string layer, string weight)
    {
        var w = Use(layer, weight);
        return Initializer($"{layer}/{weight}", w.Shape.Select(d => (long)d).ToArray(), w.Values);
    }

    public string Initializer(string name, long[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return AddInitializer(new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) }, shape);
    }

    public string Int64Initializer(string name, long[] shape, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.AddRange(values);
        return AddInitializer(tensor, shape);
    }

    string AddInitializer(TensorProto tensor, long[] shape)
    {
        tensor.Dims.AddRange(shape);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Keras keeps images channels-last (NHWC); ONNX's convolution and pooling want NCHW.</summary>
    public string ToNchw(string x) => Transposed(x, [0, 3, 1, 2]);

    public string ToNhwc(string x) => Ranked(Transposed(x, [0, 2, 3, 1]), 4);

    string Transposed(string x, long[] perm)
    {
        if (_ranks.TryGetValue(x, out var rank) && rank != 4)
            throw new ModelConversionException($"a 2-D layer got a rank-{rank} input: shape mismatch");
        return Node("Transpose", [x], attributes: [Ints("perm", perm)]);
    }

    public ModelProto Build()
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "Bus.Ml", ProducerVersion = "1", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = KerasOnnxConverter.Opset });
        return model;
    }
}
