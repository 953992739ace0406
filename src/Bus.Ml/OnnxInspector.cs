using Google.Protobuf;
using Onnx;

namespace Bus.Ml;

/// <summary>
/// Checks an ONNX file before ONNX Runtime sees it: every tensor inside the file (no external data, which ONNX Runtime
/// would read from paths relative to the working directory), only the default operator domains (no custom operators),
/// an opset in range, the tensor limits, and no control flow (Loop, If, Scan) unless the model's policy allows it.
/// </summary>
public static class OnnxInspector
{
    static readonly HashSet<string> DefaultDomains = new(StringComparer.Ordinal) { string.Empty, "ai.onnx", "ai.onnx.ml" };
    static readonly HashSet<string> ControlFlow = new(StringComparer.Ordinal) { "Loop", "If", "Scan", "SequenceMap" };

    public static void Check(byte[] onnx, ArtifactLimits limits, bool allowControlFlow)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(onnx);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelConversionException($"the ONNX file cannot be parsed: {ex.Message}", ex);
        }

        if (model.Graph is null)
            throw new ModelConversionException("the ONNX file has no graph");
        foreach (var import in model.OpsetImport)
        {
            if (!DefaultDomains.Contains(import.Domain))
                throw new ModelConversionException($"the ONNX model imports operator domain '{import.Domain}'; only the default domains (ai.onnx, " +
                    "ai.onnx.ml) are accepted");
            if (import.Domain is "" or "ai.onnx" && (import.Version < limits.MinOpset || import.Version > limits.MaxOpset))
                throw new ModelConversionException($"the ONNX model uses opset {import.Version}; accepted: {limits.MinOpset}-{limits.MaxOpset}");
        }

        if (model.Functions.Count > 0)
            throw new ModelConversionException($"the ONNX model defines {model.Functions.Count} local function(s) " +
                $"({model.Functions[0].Domain}:{model.Functions[0].Name}); they are not accepted");

        long parameters = 0;
        var nodes = 0;
        CheckGraph(model.Graph, limits, allowControlFlow, ref parameters, ref nodes);

        var activations = Sizing.ShapeInference.MeasureDeclared(model);
        if (activations.Unsized is not null && !allowControlFlow)
            throw new ModelConversionException($"the ONNX model's activations cannot be sized ahead: {activations.Unsized}; such a model is refused " +
                "unless its policy allows control flow (Bus:Evaluation:Models:<name>:AllowControlFlow), and then runs one sample at a time");
        activations.CheckOneSample(limits.Activations, "the ONNX model");
    }

    static void CheckGraph(GraphProto graph, ArtifactLimits limits, bool allowControlFlow, ref long parameters, ref int nodes)
    {
        foreach (var tensor in graph.Initializer)
            parameters = CheckTensor(tensor, limits, parameters);
        if (graph.SparseInitializer.Count > 0)
            throw new ModelConversionException("the ONNX model has sparse initializers; they are not accepted");

        foreach (var node in graph.Node)
        {
            if (++nodes > limits.MaxLayers * 4)
                throw new ModelConversionException($"the ONNX model has more than {limits.MaxLayers * 4:N0} nodes (the limit)");
            if (!DefaultDomains.Contains(node.Domain))
                throw new ModelConversionException($"node {node.Name} uses operator {node.Domain}:{node.OpType}; only the default domains are accepted");
            if (ControlFlow.Contains(node.OpType) && !allowControlFlow)
                throw new ModelConversionException($"node {node.Name} is a {node.OpType}: control flow is refused unless the model's policy allows it " +
                    "(Bus:Evaluation:Models:<name>:AllowControlFlow)");
            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is not null)
                    parameters = CheckTensor(attribute.T, limits, parameters);
                foreach (var t in attribute.Tensors)
                    parameters = CheckTensor(t, limits, parameters);
                if (attribute.G is not null)
                    CheckGraph(attribute.G, limits, allowControlFlow, ref parameters, ref nodes);
                foreach (var g in attribute.Graphs)
                    CheckGraph(g, limits, allowControlFlow, ref parameters, ref nodes);
            }
        }
    }

    static long CheckTensor(TensorProto tensor, ArtifactLimits limits, long parameters)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
            throw new ModelConversionException($"tensor '{tensor.Name}' keeps its data outside the file (external data); only self-contained ONNX files are " +
                "accepted");
        var elements = tensor.Dims.Count == 0 ? 1 : ArtifactLimits.Elements(tensor.Dims.Select(d => d == 0 ? 1 : d), limits.MaxTensorElements,
            $"tensor '{tensor.Name}'");
        var total = parameters + elements;
        if (total > limits.MaxParameters)
            throw new ModelConversionException($"the ONNX model has more than {limits.MaxParameters:N0} parameters (the limit)");
        return total;
    }
}
