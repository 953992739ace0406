using Google.Protobuf;
using Onnx;

namespace Bus.Testing;

/// <summary>Hand-made ONNX files for the tests of what Bus refuses or stops.</summary>
public static class OnnxFiles
{
    public static ValueInfoProto Float(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } }
        };
    }

    static ValueInfoProto Scalar(string name, TensorProto.Types.DataType type) =>
        new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() } } };

    public static byte[] Model(GraphProto graph, string domain = "", long opset = 13)
    {
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = opset });
        if (domain.Length > 0)
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        return model.ToByteArray();
    }

    /// <summary>output = input + Σ 1 over a Loop of int64.MaxValue iterations on [batch, <paramref name="width"/>]: it never ends.</summary>
    public static byte[] EndlessLoop(long width = 2)
    {
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Scalar("i", TensorProto.Types.DataType.Int64));
        body.Input.Add(Scalar("cond_in", TensorProto.Types.DataType.Bool));
        body.Input.Add(Float("v_in", -1, width));
        body.Output.Add(Scalar("cond_out", TensorProto.Types.DataType.Bool));
        body.Output.Add(Float("v_out", -1, width));
        var one = new TensorProto { Name = "one", DataType = (int)TensorProto.Types.DataType.Float };
        one.FloatData.Add(1f);
        body.Initializer.Add(one);
        var identity = new NodeProto { OpType = "Identity", Name = "keep" };
        identity.Input.Add("cond_in");
        identity.Output.Add("cond_out");
        var add = new NodeProto { OpType = "Add", Name = "inc" };
        add.Input.Add("v_in");
        add.Input.Add("one");
        add.Output.Add("v_out");
        body.Node.Add(identity);
        body.Node.Add(add);

        var graph = new GraphProto { Name = "endless" };
        graph.Input.Add(Float("input", -1, width));
        graph.Output.Add(Float("output", -1, width));
        var trips = new TensorProto { Name = "trips", DataType = (int)TensorProto.Types.DataType.Int64 };
        trips.Int64Data.Add(long.MaxValue);
        var condition = new TensorProto { Name = "cond", DataType = (int)TensorProto.Types.DataType.Bool };
        condition.Int32Data.Add(1);
        graph.Initializer.Add(trips);
        graph.Initializer.Add(condition);
        var loop = new NodeProto { OpType = "Loop", Name = "loop" };
        loop.Input.Add("trips");
        loop.Input.Add("cond");
        loop.Input.Add("input");
        loop.Output.Add("output");
        loop.Attribute.Add(new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body });
        graph.Node.Add(loop);
        return Model(graph);
    }
}
