using Bus.Ml.Sizing;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Bus.Ml;

/// <summary>An ONNX model loaded into ONNX Runtime: one float input (batch first), one float output.</summary>
public sealed class OnnxModel : IDisposable
{
    readonly InferenceSession _session;
    readonly string _inputName;
    readonly string _outputName;
    readonly Onnx.ModelProto _sizing;
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, ActivationEstimate> _estimates = new(StringComparer.Ordinal);

    OnnxModel(InferenceSession session, Onnx.ModelProto sizing)
    {
        _session = session;
        _sizing = sizing;
        var input = session.InputMetadata.Single();
        _inputName = input.Key;
        _outputName = session.OutputMetadata.ContainsKey(KerasOnnxConverter.OutputName) ? KerasOnnxConverter.OutputName : session.OutputMetadata.Keys.First();
        HasEmbedding = session.OutputMetadata.ContainsKey(KerasOnnxConverter.EmbeddingName);
        OutputShape = session.OutputMetadata[_outputName].Dimensions.Skip(1).Select(d => d <= 0 ? -1 : d).ToArray();
        InputShape = input.Value.Dimensions.Skip(1).Select(d => d <= 0 ? -1 : d).ToArray();
        IsDynamic = InputShape.Contains(-1);
        InputSize = IsDynamic ? -1 : (int)ArtifactLimits.Elements(InputShape.Select(d => (long)d), int.MaxValue / 64, "the model's input");
    }

    /// <summary>The name of the model's input tensor.</summary>
    public string InputName => _inputName;

    /// <summary>The name of the output tensor answers come from.</summary>
    public string OutputName => _outputName;

    /// <summary>The shape of one sample's output as the model declares it (without the batch dimension); -1 where it is open or not declared.</summary>
    public int[] OutputShape { get; }

    /// <summary>The input shape of one sample (without the batch dimension); -1 for a dimension the model leaves open.</summary>
    public int[] InputShape { get; }

    /// <summary>
    /// Whether a dimension besides the batch is open (a fully convolutional model takes any height and width): each
    /// request then says its samples' shape (<see cref="SampleShape"/>).
    /// </summary>
    public bool IsDynamic { get; }

    /// <summary>
    /// <paramref name="requested"/> checked against the model's input: the same rank, the fixed dimensions equal, the
    /// open ones positive, the sample within <paramref name="maxElements"/>; a static model's own shape when null.
    /// </summary>
    public int[] SampleShape(int[]? requested, long maxElements = 16_777_216)
    {
        if (requested is null)
            return IsDynamic ? throw new ModelConversionException($"the model's input [{Describe(InputShape)}] has open dimensions: give the " +
                "samples' shape") : InputShape;
        if (requested.Length != InputShape.Length || requested.Where((d, i) => InputShape[i] != -1 && InputShape[i] != d).Any())
            throw new ModelConversionException($"a sample of shape [{Describe(requested)}] does not fit the model's input [{Describe(InputShape)}]");
        ArtifactLimits.Elements(requested.Select(d => (long)d), maxElements, $"a sample of shape [{Describe(requested)}]");
        return requested;
    }

    /// <summary>A shape with its open dimensions as '?'.</summary>
    public static string Describe(int[] shape) =>
        string.Join(",", shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Whether the model also gives the penultimate layer's activations.</summary>
    public bool HasEmbedding { get; }

    /// <summary>Values in one sample; -1 for a model with open dimensions (the request's shape decides).</summary>
    public int InputSize { get; }

    /// <summary>
    /// Loads a model; <paramref name="onnx"/> must already have passed <see cref="OnnxInspector.Check"/> when it came from
    /// outside (a converted model is built by us and needs no check).
    /// </summary>
    public static OnnxModel Load(byte[] onnx, int intraOpThreads = 1)
    {
        using var options = new SessionOptions { IntraOpNumThreads = intraOpThreads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        InferenceSession? session = null;
        try
        {
            session = new InferenceSession(onnx, options);
            return new OnnxModel(session, SizingGraph(onnx));
        }
        catch (Exception ex)
        {
            session?.Dispose();
            throw ex is ModelConversionException ? ex : new ModelConversionException($"ONNX Runtime cannot load the model: {ex.Message}", ex);
        }
    }

    /// <summary>The graph without the data of its larger initializers: what <see cref="Activations"/> reads (their shapes).</summary>
    static Onnx.ModelProto SizingGraph(byte[] onnx)
    {
        var model = Onnx.ModelProto.Parser.ParseFrom(onnx);
        foreach (var tensor in model.Graph.Initializer.Where(t => t.Dims.Aggregate(1L, (a, b) => a * b) > 64))
        {
            tensor.RawData = Google.Protobuf.ByteString.Empty;
            tensor.FloatData.Clear();
        }

        return model;
    }

    /// <summary>
    /// What one sample of <paramref name="sample"/> (see <see cref="SampleShape"/>) asks of memory, worked out from the
    /// graph (<see cref="ShapeInference"/>); kept per shape.
    /// </summary>
    public ActivationEstimate Activations(int[] sample)
    {
        // Requests of one shape, one after another: the last answer, without building a key.
        if (_lastEstimate is { } last && last.Shape.AsSpan().SequenceEqual(sample))
            return last.Estimate;
        var key = string.Join(",", sample);
        if (_estimates.TryGetValue(key, out var known))
        {
            _lastEstimate = new LastEstimate(sample.ToArray(), known);
            return known;
        }

        if (_estimates.Count >= 64)
            _estimates.Clear();
        var estimate = _estimates.GetOrAdd(key, _ => ShapeInference.Measure(_sizing, sample.Select(d => (long)d).ToArray()));
        _lastEstimate = new LastEstimate(sample.ToArray(), estimate);
        return estimate;
    }

    /// <summary>The last shape asked for and its estimate, swapped as one reference (requests on other threads read it whole).</summary>
    sealed record LastEstimate(int[] Shape, ActivationEstimate Estimate);

    LastEstimate? _lastEstimate;

    /// <summary>
    /// Runs a batch under a deadline: when <paramref name="cancellationToken"/> is cancelled the run is terminated by
    /// ONNX Runtime itself (a model that never ends, a Loop with a huge trip count) and this throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public float[][] Predict(float[] inputs, int batch, CancellationToken cancellationToken) => Predict(inputs, batch, null, cancellationToken);

    /// <summary>
    /// As <see cref="Predict(float[], int, CancellationToken)"/>, each sample of <paramref name="sampleShape"/> (see
    /// <see cref="SampleShape"/>).
    /// </summary>
    public float[][] Predict(float[] inputs, int batch, int[]? sampleShape, CancellationToken cancellationToken)
    {
        var shape = SampleShape(sampleShape);
        if (!cancellationToken.CanBeCanceled)
            return Predict(inputs, batch, shape, (RunOptions?)null);
        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        try
        {
            return Predict(inputs, batch, shape, runOptions);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the inference was stopped at its deadline", cancellationToken);
        }
    }

    /// <summary>Runs a batch; <paramref name="inputs"/> holds <paramref name="batch"/> samples back to back. Returns the outputs row by row.</summary>
    public float[][] Predict(float[] inputs, int batch) => Predict(inputs, batch, SampleShape(null), (RunOptions?)null);

    float[][] Predict(float[] inputs, int batch, int[] sample, RunOptions? runOptions)
    {
        var size = sample.Aggregate(1, (a, b) => a * b);
        if (inputs.Length != (long)batch * size)
            throw new ArgumentException($"expected {batch} samples of {size} values ({batch * size}), got {inputs.Length}", nameof(inputs));
        var shape = new int[sample.Length + 1];
        shape[0] = batch;
        sample.CopyTo(shape, 1);
        var tensor = new DenseTensor<float>(inputs, shape);
        using var results = runOptions is null
            ? _session.Run([NamedOnnxValue.CreateFromTensor(_inputName, tensor)], [_outputName])
            : _session.Run([NamedOnnxValue.CreateFromTensor(_inputName, tensor)], [_outputName], runOptions);
        var output = results.First().AsTensor<float>();
        if (output.Length % batch != 0)
            throw new ModelConversionException($"the model's output of {output.Length} values does not split into {batch} rows");
        var width = (int)(output.Length / batch);
        var flat = output.ToArray();
        var rows = new float[batch][];
        for (var i = 0; i < batch; i++)
            rows[i] = flat.AsSpan(i * width, width).ToArray();
        return rows;
    }

    /// <summary>Outputs and penultimate-layer embeddings of a batch.</summary>
    public (float[][] Outputs, float[][] Embeddings) PredictWithEmbedding(float[] inputs, int batch)
    {
        if (!HasEmbedding)
            throw new InvalidOperationException("this model has no embedding output");
        var sample = SampleShape(null);
        var shape = new int[sample.Length + 1];
        shape[0] = batch;
        sample.CopyTo(shape, 1);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_inputName, new DenseTensor<float>(inputs, shape))], [_outputName,
            KerasOnnxConverter.EmbeddingName]);
        return (Rows(results.First(r => r.Name == _outputName).AsTensor<float>(), batch), Rows(results.First(r => r.Name == KerasOnnxConverter.EmbeddingName)
            .AsTensor<float>(), batch));
    }

    static float[][] Rows(Tensor<float> tensor, int batch)
    {
        var flat = tensor.ToArray();
        var width = flat.Length / batch;
        return Enumerable.Range(0, batch).Select(i => flat.AsSpan(i * width, width).ToArray()).ToArray();
    }

    public void Dispose() => _session.Dispose();
}
