using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Onnx;

namespace Bus.Ml;

/// <summary>
/// Converts a Keras model in the TF.js layers format (model.json + weight shards, as written by TF.js and
/// tensorflowjs_converter) to ONNX, channels-last in and out. Sequential and functional models; Dense,
/// Conv2D, pooling, BatchNormalization, Add, Concatenate, UpSampling2D, Flatten, Reshape, Dropout, Activation
/// and fused activations. Anything else fails with a <see cref="ModelConversionException"/> naming it.
/// </summary>
public static class KerasOnnxConverter
{
    public const int Opset = 13;
    public const string InputName = "input";
    public const string OutputName = "output";

    /// <summary>Second output: the input of the last layer (the penultimate layer's activations), for embeddings.</summary>
    public const string EmbeddingName = "embedding";

    public static readonly IReadOnlySet<string> SupportedLayers = new HashSet<string>(StringComparer.Ordinal)
    {
        "InputLayer", "Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "Flatten", "Reshape",
        "Dropout", "Activation", "BatchNormalization", "Add", "Concatenate", "UpSampling2D", "LeakyReLU", "ReLU",
    };

    /// <summary>Converts; <paramref name="readShard"/> returns the bytes of a weight file named in the manifest.</summary>
    public static byte[] Convert(byte[] modelJson, Func<string, byte[]> readShard) => Convert(modelJson, readShard, ArtifactLimits.Default);

    /// <summary>Converts within <paramref name="limits"/>: sizes are checked before anything of that size is allocated.</summary>
    public static byte[] Convert(byte[] modelJson, Func<string, byte[]> readShard, ArtifactLimits limits)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(modelJson);
        }
        catch (JsonException ex)
        {
            throw new ModelConversionException($"model.json is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (!root.TryGetProperty("modelTopology", out var topology) || topology.ValueKind != JsonValueKind.Object)
                throw new ModelConversionException("model.json has no modelTopology: not a TF.js layers model");
            if (topology.TryGetProperty("model_config", out var inner))
                topology = inner;
            var weights = ReadWeights(root, readShard, limits);
            var builder = new GraphBuilder(weights, limits);
            var className = Str(topology, "class_name");
            var config = topology.GetProperty("config");
            switch (className)
            {
                case "Sequential":
                    builder.Sequential(config);
                    break;
                case "Model" or "Functional":
                    builder.Functional(config);
                    break;
                default:
                    throw new ModelConversionException($"unsupported model class '{className}' (Sequential and functional models are supported)");
            }

            var unused = weights.Keys.Except(builder.UsedWeights).ToList();
            if (unused.Count > 0)
                throw new ModelConversionException($"weights not used by any layer: {string.Join(", ", unused.Take(5))}");
            return builder.Build().ToByteArray();
        }
    }

    /// <summary>
    /// The weight files a model.json names, each a plain relative name beside it: no '..', no absolute path, no
    /// scheme, no backslash (on S3 such a key is literal, in a local reader a real path: both are refused).
    /// </summary>
    public static IReadOnlyList<string> ShardPaths(JsonElement root, ArtifactLimits limits)
    {
        if (!root.TryGetProperty("weightsManifest", out var manifest))
            return [];
        if (manifest.ValueKind != JsonValueKind.Array)
            throw new ModelConversionException("weightsManifest is not an array");
        var paths = new List<string>();
        foreach (var group in manifest.EnumerateArray())
        {
            if (!group.TryGetProperty("paths", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new ModelConversionException("a weightsManifest group has no paths array");
            foreach (var path in list.EnumerateArray())
            {
                var name = path.ValueKind == JsonValueKind.String
                    ? path.GetString()! : throw new ModelConversionException("a weight shard path is not a string");
                if (!IsPlainRelative(name))
                    throw new ModelConversionException($"weight shard path '{(name.Length > 120 ? name[..120] + "…" : name)}' is refused: shards are named " +
                        "relative to model.json, without '..', '/' at the start, '\\' or a scheme");
                paths.Add(name);
                if (paths.Count > limits.MaxShards)
                    throw new ModelConversionException($"the model names more than {limits.MaxShards:N0} weight shards (the limit)");
            }
        }

        return paths;
    }

    static bool IsPlainRelative(string path) =>
        path.Length is > 0 and <= 512
        && !path.StartsWith('/') && !path.Contains('\\', StringComparison.Ordinal) && !path.Contains("://", StringComparison.Ordinal)
        && path.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..")
        && !path.Any(char.IsControl);

    static Dictionary<string, (int[] Shape, float[] Values)> ReadWeights(JsonElement root, Func<string, byte[]> readShard, ArtifactLimits limits)
    {
        var result = new Dictionary<string, (int[], float[])>(StringComparer.Ordinal);
        ShardPaths(root, limits);
        if (!root.TryGetProperty("weightsManifest", out var manifest))
            return result;
        long parameters = 0;
        foreach (var group in manifest.EnumerateArray())
        {
            var bytes = new MemoryStream();
            foreach (var path in group.GetProperty("paths").EnumerateArray())
            {
                var name = path.GetString()!;
                byte[] shard;
                try
                {
                    shard = readShard(name);
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException)
                {
                    throw new ModelConversionException($"weight shard '{name}' is missing", ex);
                }

                limits.CheckBytes(shard.Length, limits.MaxShardBytes, $"weight shard '{name}'");
                limits.CheckBytes(bytes.Length + (long)shard.Length, limits.MaxArtifactBytes, "the model's weights");
                bytes.Write(shard);
            }

            var data = bytes.ToArray();
            long offset = 0;
            foreach (var spec in group.GetProperty("weights").EnumerateArray())
            {
                var name = Str(spec, "name");
                var dtype = Str(spec, "dtype");
                if (spec.TryGetProperty("quantization", out var q) && q.ValueKind != JsonValueKind.Null)
                    throw new ModelConversionException($"weight '{name}' is quantized; only float32 weights are supported");
                if (dtype != "float32")
                    throw new ModelConversionException($"weight '{name}' has dtype '{dtype}'; only float32 weights are supported");
                var dims = spec.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var count = dims.Length == 0 ? 1 : ArtifactLimits.Elements(dims, limits.MaxTensorElements, $"weight '{name}'");
                parameters += count;
                if (parameters > limits.MaxParameters)
                    throw new ModelConversionException($"the model has more than {limits.MaxParameters:N0} parameters (the limit)");
                if (offset + count * 4 > data.Length)
                    throw new ModelConversionException($"weight shards hold {data.Length} bytes but '{name}' needs bytes {offset}..{offset + count * 4}: a " +
                        "shard is truncated or missing");
                var values = new float[count];
                Buffer.BlockCopy(data, (int)offset, values, 0, (int)(count * 4));
                offset += count * 4;
                result[name] = (dims.Select(d => (int)d).ToArray(), values);
            }

            if (offset != data.Length)
                throw new ModelConversionException($"weight shards hold {data.Length} bytes but the manifest describes {offset}");
        }

        return result;
    }

    internal static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()! : throw new ModelConversionException($"missing '{name}' in {Truncate(e)}");

    internal static string Truncate(JsonElement e)
    {
        var text = e.GetRawText();
        return text.Length > 120 ? text[..120] + "…" : text;
    }

    sealed class GraphBuilder(Dictionary<string, (int[] Shape, float[] Values)> weights, ArtifactLimits limits)
    {
        readonly GraphProto _graph = new() { Name = "keras" };
        readonly Dictionary<string, string> _outputs = new(StringComparer.Ordinal);
        readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);
        readonly Dictionary<string, string> _inputOf = new(StringComparer.Ordinal);
        int _counter;

        public HashSet<string> UsedWeights { get; } = new(StringComparer.Ordinal);

        public void Sequential(JsonElement config)
        {
            var layers = config.ValueKind == JsonValueKind.Array ? config : config.GetProperty("layers");
            CheckLayerCount(layers);
            string? current = null;
            foreach (var layer in layers.EnumerateArray())
            {
                var layerConfig = layer.GetProperty("config");
                if (current is null)
                {
                    var shape = BatchInputShape(layerConfig)
                        ?? throw new ModelConversionException("the first layer of a Sequential model has no batch_input_shape");
                    current = AddInput(shape);
                    if (Str(layer, "class_name") == "InputLayer")
                        continue;
                }

                var input = current;
                current = Layer(layer, [current]);
                _inputOf[current] = input;
            }

            AddOutput(current ?? throw new ModelConversionException("the model has no layers"));
        }

        void CheckLayerCount(JsonElement layers)
        {
            if (layers.ValueKind != JsonValueKind.Array)
                throw new ModelConversionException("the model's layers are not an array");
            if (layers.GetArrayLength() > limits.MaxLayers)
                throw new ModelConversionException($"the model has {layers.GetArrayLength():N0} layers; the limit is {limits.MaxLayers:N0}");
        }

        /// <summary>Layers in dependency order (Kahn's algorithm: linear in layers and edges, whatever order they are listed in).</summary>
        public void Functional(JsonElement config)
        {
            var inputs = config.GetProperty("input_layers").EnumerateArray().ToList();
            var outputs = config.GetProperty("output_layers").EnumerateArray().ToList();
            if (inputs.Count != 1 || outputs.Count != 1)
                throw new ModelConversionException($"models with {inputs.Count} inputs and {outputs.Count} outputs are not supported (one of each)");

            var layers = config.GetProperty("layers");
            CheckLayerCount(layers);
            var byName = new Dictionary<string, (JsonElement Layer, List<string> Sources)>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (var layer in layers.EnumerateArray())
            {
                var name = layer.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : Str(layer.GetProperty("config"),
                    "name");
                var sources = new List<string>();
                if (Str(layer, "class_name") != "InputLayer")
                {
                    var nodes = layer.GetProperty("inbound_nodes");
                    if (nodes.GetArrayLength() != 1)
                        throw new ModelConversionException($"layer {name} is applied {nodes.GetArrayLength()} times; shared layers are not supported");
                    sources = Inbound(nodes[0]).ToList();
                }

                if (!byName.TryAdd(name, (layer, sources)))
                    throw new ModelConversionException($"two layers are named '{name}'");
                order.Add(name);
            }

            var waiting = new Dictionary<string, int>(StringComparer.Ordinal);
            var dependents = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var ready = new Queue<string>();
            foreach (var name in order)
            {
                var sources = byName[name].Sources;
                foreach (var source in sources)
                {
                    if (!byName.ContainsKey(source))
                        throw new ModelConversionException($"layer {name} takes its input from '{source}', which is not a layer of the model");
                    (dependents.TryGetValue(source, out var list) ? list : dependents[source] = []).Add(name);
                }

                waiting[name] = sources.Count;
                if (sources.Count == 0)
                    ready.Enqueue(name);
            }

            var resolved = 0;
            while (ready.Count > 0)
            {
                var name = ready.Dequeue();
                var (layer, sources) = byName[name];
                if (Str(layer, "class_name") == "InputLayer")
                    _outputs[name] = AddInput(BatchInputShape(layer.GetProperty("config"))
                        ?? throw new ModelConversionException($"input layer {name} has no batch_input_shape"));
                else if (sources.Count == 0)
                    throw new ModelConversionException($"layer {name} has no inputs");
                else
                {
                    var layerInputs = sources.Select(s => _outputs[s]).ToList();
                    _outputs[name] = Layer(layer, layerInputs);
                    _inputOf[_outputs[name]] = layerInputs[0];
                }

                resolved++;
                if (dependents.TryGetValue(name, out var next))
                {
                    foreach (var dependent in next)
                    {
                        if (--waiting[dependent] == 0)
                            ready.Enqueue(dependent);
                    }
                }
            }

            if (resolved != order.Count)
                throw new ModelConversionException($"the layer graph cannot be resolved (a cycle) at " +
                    $"{string.Join(", ", order.Where(n => !_outputs.ContainsKey(n)).Take(5))}");

            var output = outputs[0].ValueKind == JsonValueKind.Array && outputs[0].GetArrayLength() > 0 && outputs[0][0].ValueKind == JsonValueKind.String
                ? outputs[0][0].GetString()!
                : throw new ModelConversionException($"output_layers is not in the form [[name, node, tensor]]: " +
                    $"{Truncate(config.GetProperty("output_layers"))}");
            AddOutput(_outputs.TryGetValue(output, out var tensor)
                ? tensor : throw new ModelConversionException($"the output layer '{output}' is not a layer of the model"));
        }

        static IEnumerable<string> Inbound(JsonElement node)
        {
            // TF.js / Keras 2: [[layerName, nodeIndex, tensorIndex, kwargs], ...]
            if (node.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in node.EnumerateArray())
                {
                    yield return entry.ValueKind == JsonValueKind.Array && entry.GetArrayLength() > 0 && entry[0].ValueKind == JsonValueKind.String
                        ? entry[0].GetString()!
                        : throw new ModelConversionException($"unsupported inbound node entry: {Truncate(entry)}");
                }

                yield break;
            }

            throw new ModelConversionException($"unsupported inbound node format: {Truncate(node)}");
        }

        static long[]? BatchInputShape(JsonElement config)
        {
            var key = config.TryGetProperty("batch_input_shape", out var s) ? s : config.TryGetProperty("batch_shape", out var b) ? b : default;
            if (key.ValueKind != JsonValueKind.Array)
                return null;
            return key.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Null ? -1L : d.GetInt64()).ToArray();
        }

        string AddInput(long[] shape)
        {
            if (_graph.Input.Count > 0)
                throw new ModelConversionException("the model has more than one input layer (one is supported)");
            ArtifactLimits.Elements(shape.Skip(1).Select(d => d < 0 ? 1 : d), limits.MaxTensorElements, "the model's input shape");
            _graph.Input.Add(ValueInfo(InputName, shape));
            _ranks[InputName] = shape.Length;
            return InputName;
        }

        void AddOutput(string tensor)
        {
            Output(tensor, OutputName);
            if (_inputOf.TryGetValue(tensor, out var penultimate) && penultimate != InputName)
                Output(penultimate, EmbeddingName);
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
            foreach (var d in shape)
                tensorShape.Dim.Add(d < 0
                    ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
            };
        }

        string Layer(JsonElement layer, List<string> inputs)
        {
            var type = Str(layer, "class_name");
            var config = layer.GetProperty("config");
            var name = layer.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : Str(config, "name");
            if (!SupportedLayers.Contains(type))
                throw new ModelConversionException($"unsupported layer '{type}' ({name}); supported: " +
                    $"{string.Join(", ", SupportedLayers.Order(StringComparer.Ordinal))}");
            if (config.TryGetProperty("dtype", out var dtype) && dtype.ValueKind == JsonValueKind.String && dtype.GetString() != "float32")
                throw new ModelConversionException($"layer {name} has dtype '{dtype.GetString()}'; only float32 is supported");
            if (config.TryGetProperty("data_format", out var format) && format.GetString() is { } f && f != "channels_last")
                throw new ModelConversionException($"layer {name} uses data_format '{f}'; only channels_last is supported");

            var x = inputs[0];
            var rank = _ranks.GetValueOrDefault(x, 0);
            string result;
            switch (type)
            {
                case "Dense":
                    result = Node("MatMul", [x, Weight(name, "kernel")]);
                    if (Bool(config, "use_bias", true))
                        result = Node("Add", [result, Weight(name, "bias")]);
                    _ranks[result] = rank;
                    return Activation(name, Activation(config), result);
                case "Conv2D":
                {
                    var kernel = Use(name, "kernel");
                    var k = Transpose4(kernel.Values, kernel.Shape); // [kh,kw,in,out] → [out,in,kh,kw]
                    var kernelName = Initializer($"{name}/kernel_oihw", [kernel.Shape[3], kernel.Shape[2], kernel.Shape[0], kernel.Shape[1]], k);
                    var convInputs = new List<string> { ToNchw(x), kernelName };
                    if (Bool(config, "use_bias", true))
                        convInputs.Add(Weight(name, "bias"));
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
                    var conv = Node("Conv", convInputs, attributes:
                    [
                        Ints("kernel_shape", kernelSize),
                        Ints("strides", strides),
                        Ints("dilations", dilations),
                        pad,
                    ]);
                    result = ToNhwc(conv);
                    return Activation(name, Activation(config), result);
                }

                case "MaxPooling2D" or "AveragePooling2D":
                {
                    var pool = Pair(config, "pool_size");
                    var strides = config.TryGetProperty("strides", out var s) && s.ValueKind != JsonValueKind.Null ? Pair(config, "strides") : pool;
                    var op = Node(type == "MaxPooling2D" ? "MaxPool" : "AveragePool", [ToNchw(x)], attributes:
                    [
                        Ints("kernel_shape", pool),
                        Ints("strides", strides),
                        Text("auto_pad", Padding(config, name)),
                    ]);
                    return ToNhwc(op);
                }

                case "GlobalAveragePooling2D":
                    if (config.TryGetProperty("keepdims", out var keep) && keep.ValueKind == JsonValueKind.True)
                        throw new ModelConversionException($"layer {name}: keepdims=true is not supported");
                    result = Node("ReduceMean", [x], attributes: [Ints("axes", [1, 2]), Int("keepdims", 0)]);
                    _ranks[result] = 2;
                    return result;
                case "Flatten":
                    result = Node("Flatten", [x], attributes: [Int("axis", 1)]);
                    _ranks[result] = 2;
                    return result;
                case "Reshape":
                {
                    var target = config.GetProperty("target_shape").EnumerateArray().Select(d => d.GetInt64()).ToList();
                    ArtifactLimits.Elements(target.Select(d => d == -1 ? 1 : d), limits.MaxTensorElements, $"layer {name}'s target_shape");
                    var shape = Initializer($"{name}/shape", [target.Count + 1], null, [0L, .. target]);
                    result = Node("Reshape", [x, shape]);
                    _ranks[result] = target.Count + 1;
                    return result;
                }

                case "Dropout":
                    return x;
                case "Activation":
                    return Activation(name, Activation(config), x);
                case "ReLU":
                    return Activation(name, "relu", x);
                case "LeakyReLU":
                {
                    var alpha = config.TryGetProperty("alpha", out var a) ? a.GetSingle() : config.TryGetProperty("negative_slope", out var ns)
                        ? ns.GetSingle() : 0.3f;
                    result = Node("LeakyRelu", [x], attributes: [Float("alpha", alpha)]);
                    _ranks[result] = rank;
                    return result;
                }

                case "BatchNormalization":
                {
                    var axis = config.TryGetProperty("axis", out var ax) ? (ax.ValueKind == JsonValueKind.Array ? ax[0].GetInt32() : ax.GetInt32()) : -1;
                    if (axis != -1 && axis != rank - 1)
                        throw new ModelConversionException($"layer {name}: BatchNormalization on axis {axis} is not supported (only the channels axis, -1)");
                    var epsilon = config.TryGetProperty("epsilon", out var eps) ? eps.GetDouble() : 1e-3;
                    var mean = Use(name, "moving_mean");
                    var variance = Use(name, "moving_variance");
                    var gamma = Bool(config, "scale", true) ? Use(name, "gamma").Values : Enumerable.Repeat(1f, mean.Values.Length).ToArray();
                    var beta = Bool(config, "center", true) ? Use(name, "beta").Values : new float[mean.Values.Length];
                    var scale = new float[mean.Values.Length];
                    var bias = new float[mean.Values.Length];
                    for (var i = 0; i < scale.Length; i++)
                    {
                        scale[i] = (float)(gamma[i] / Math.Sqrt(variance.Values[i] + epsilon));
                        bias[i] = beta[i] - mean.Values[i] * scale[i];
                    }

                    var scaled = Node("Mul", [x, Initializer($"{name}/scale", [scale.Length], scale)]);
                    result = Node("Add", [scaled, Initializer($"{name}/shift", [bias.Length], bias)]);
                    _ranks[result] = rank;
                    return result;
                }

                case "Add":
                    result = x;
                    foreach (var other in inputs.Skip(1))
                        result = Node("Add", [result, other]);
                    _ranks[result] = rank;
                    return result;
                case "Concatenate":
                {
                    var axis = config.TryGetProperty("axis", out var ax) ? ax.GetInt32() : -1;
                    result = Node("Concat", inputs, attributes: [Int("axis", axis < 0 ? rank + axis : axis)]);
                    _ranks[result] = rank;
                    return result;
                }

                case "UpSampling2D":
                {
                    if (config.TryGetProperty("interpolation", out var interpolation) && interpolation.GetString() is { } mode && mode != "nearest")
                        throw new ModelConversionException($"layer {name}: UpSampling2D interpolation '{mode}' is not supported (nearest is)");
                    var size = Pair(config, "size");
                    if (size.Any(f => f is < 1 or > 64))
                        throw new ModelConversionException($"layer {name}: UpSampling2D size [{string.Join(",", size)}] is outside 1-64");
                    var scales = Initializer($"{name}/scales", [4], [1f, size[0], size[1], 1f]);
                    var roi = Initializer($"{name}/roi", [0], []);
                    result = Node("Resize", [x, roi, scales], attributes:
                    [
                        Text("mode", "nearest"),
                        Text("coordinate_transformation_mode", "asymmetric"),
                        Text("nearest_mode", "floor"),
                    ]);
                    _ranks[result] = rank;
                    return result;
                }

                default:
                    throw new ModelConversionException($"unsupported layer '{type}' ({name})");
            }
        }

        string Activation(string layer, string? activation, string x)
        {
            var rank = _ranks.GetValueOrDefault(x, 0);
            string result;
            switch (activation)
            {
                case null or "linear":
                    return x;
                case "relu":
                    result = Node("Relu", [x]);
                    break;
                case "sigmoid":
                    result = Node("Sigmoid", [x]);
                    break;
                case "tanh":
                    result = Node("Tanh", [x]);
                    break;
                case "softmax":
                    result = Node("Softmax", [x], attributes: [Int("axis", -1)]);
                    break;
                case "elu":
                    result = Node("Elu", [x], attributes: [Float("alpha", 1f)]);
                    break;
                case "selu":
                    result = Node("Selu", [x], attributes: [Float("alpha", 1.6732632423543772f), Float("gamma", 1.0507009873554805f)]);
                    break;
                case "leaky_relu" or "leakyrelu" or "leakyRelu":
                    result = Node("LeakyRelu", [x], attributes: [Float("alpha", 0.2f)]);
                    break;
                default:
                    throw new ModelConversionException($"layer {layer}: unsupported activation '{activation}' (relu, sigmoid, tanh, softmax, linear, elu, " +
                        "selu, leaky relu are)");
            }

            _ranks[result] = rank;
            return result;
        }

        static string? Activation(JsonElement config) =>
            config.TryGetProperty("activation", out var a) ? a.ValueKind == JsonValueKind.String ? a.GetString() : a.GetProperty("class_name")
                .GetString()?.ToLowerInvariant() : null;

        string ToNchw(string x) => Transposed(x, [0, 3, 1, 2]);

        string ToNhwc(string x)
        {
            var result = Transposed(x, [0, 2, 3, 1]);
            _ranks[result] = 4;
            return result;
        }

        string Transposed(string x, long[] perm)
        {
            if (_ranks.TryGetValue(x, out var rank) && rank != 4)
                throw new ModelConversionException($"a 2-D layer got a rank-{rank} input: shape mismatch");
            return Node("Transpose", [x], attributes: [Ints("perm", perm)]);
        }

        static string Padding(JsonElement config, string layer) => (config.TryGetProperty("padding", out var p) ? p.GetString() : "valid") switch
        {
            "valid" => "VALID",
            "same" => "SAME_UPPER",
            var other => throw new ModelConversionException($"layer {layer}: padding '{other}' is not supported"),
        };

        /// <summary>TensorFlow's SAME padding for stride 1: (k-1)·d in total, the odd one at the end.</summary>
        static long[] SamePads(long[] kernel, long[] dilations)
        {
            var totalH = (kernel[0] - 1) * dilations[0];
            var totalW = (kernel[1] - 1) * dilations[1];
            return [totalH / 2, totalW / 2, totalH - totalH / 2, totalW - totalW / 2];
        }

        static long[] Pair(JsonElement config, string key, long fallback = -1)
        {
            if (!config.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
                return fallback < 0 ? throw new ModelConversionException($"missing '{key}'") : [fallback, fallback];
            return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetInt64()).ToArray() : [v.GetInt64(), v.GetInt64()];
        }

        static bool Bool(JsonElement config, string key, bool fallback) =>
            config.TryGetProperty(key, out var v) ? v.ValueKind == JsonValueKind.True : fallback;

        (int[] Shape, float[] Values) Use(string layer, string weight)
        {
            var key = $"{layer}/{weight}";
            if (!weights.TryGetValue(key, out var w))
                throw new ModelConversionException($"weight '{key}' is missing from the manifest");
            UsedWeights.Add(key);
            return w;
        }

        string Weight(string layer, string weight)
        {
            var w = Use(layer, weight);
            return Initializer($"{layer}/{weight}", w.Shape.Select(d => (long)d).ToArray(), w.Values);
        }

        string Initializer(string name, long[] shape, float[]? values, long[]? longs = null)
        {
            var tensor = new TensorProto { Name = name, DataType = (int)(longs is null ? TensorProto.Types.DataType.Float : TensorProto.Types.DataType.Int64) };
            tensor.Dims.AddRange(shape);
            if (longs is not null)
                tensor.Int64Data.AddRange(longs);
            else
            {
                var bytes = new byte[values!.Length * 4];
                Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
                tensor.RawData = ByteString.CopyFrom(bytes);
            }

            _graph.Initializer.Add(tensor);
            return name;
        }

        static float[] Transpose4(float[] v, int[] s)
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

        string Node(string op, IEnumerable<string> inputs, string? output = null, AttributeProto[]? attributes = null)
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

        static AttributeProto Ints(string name, long[] values)
        {
            var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(values);
            return a;
        }

        static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

        static AttributeProto Text(string name, string value) => new()
        {
            Name = name,
            Type = AttributeProto.Types.AttributeType.String,
            S = ByteString.CopyFromUtf8(value)
        };

        public ModelProto Build()
        {
            var model = new ModelProto { IrVersion = 8, ProducerName = "Bus.Ml", ProducerVersion = "1", Graph = _graph };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
            return model;
        }
    }
}
