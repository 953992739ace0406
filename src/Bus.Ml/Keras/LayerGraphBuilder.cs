using System.Text.Json;
using static Bus.Ml.Keras.KerasJson;

namespace Bus.Ml.Keras;

/// <summary>
/// Walks a Keras model's layers (Sequential in order, functional in dependency order) and has
/// <see cref="LayerCatalog"/> emit each one into the <see cref="OnnxGraph"/>.
/// </summary>
internal sealed class LayerGraphBuilder(OnnxGraph graph)
{
    readonly Dictionary<string, string> _outputs = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _inputOf = new(StringComparer.Ordinal);

    /// <summary>The model's topology: <c>class_name</c> Sequential, Model or Functional, and its <c>config</c>.</summary>
    public void Model(JsonElement topology)
    {
        var className = Str(topology, "class_name");
        var config = topology.GetProperty("config");
        var layers = config.ValueKind == JsonValueKind.Array ? config : config.TryGetProperty("layers", out var l) ? l : default;
        graph.Keras3 = topology.TryGetProperty("module", out _)
            || (layers.ValueKind == JsonValueKind.Array && layers.GetArrayLength() > 0 && layers[0].TryGetProperty("module", out _));
        switch (className)
        {
            case "Sequential":
                Sequential(config);
                break;
            case "Model" or "Functional":
                Functional(config);
                break;
            default:
                throw new ModelConversionException($"unsupported model class '{className}' (Sequential and functional models are supported)");
        }
    }

    void Sequential(JsonElement config)
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
                current = graph.AddInput(shape);
                if (Str(layer, "class_name") == LayerCatalog.InputLayer)
                {
                    LayerCatalog.CheckDtype(LayerName(layer), layerConfig);
                    continue;
                }
            }

            var input = current;
            current = LayerCatalog.Emit(graph, layer, [current]);
            _inputOf[current] = input;
        }

        AddOutput(current ?? throw new ModelConversionException("the model has no layers"));
    }

    void CheckLayerCount(JsonElement layers)
    {
        if (layers.ValueKind != JsonValueKind.Array)
            throw new ModelConversionException("the model's layers are not an array");
        if (layers.GetArrayLength() > graph.Limits.MaxLayers)
            throw new ModelConversionException($"the model has {layers.GetArrayLength():N0} layers; the limit is {graph.Limits.MaxLayers:N0}");
    }

    /// <summary>Layers in dependency order (Kahn's algorithm: linear in layers and edges, whatever order they are listed in).</summary>
    void Functional(JsonElement config)
    {
        var inputs = Endpoints(config.GetProperty("input_layers"));
        var outputs = Endpoints(config.GetProperty("output_layers"));
        if (inputs.Count != 1 || outputs.Count != 1)
            throw new ModelConversionException($"models with {inputs.Count} inputs and {outputs.Count} outputs are not supported (one of each)");

        var layers = config.GetProperty("layers");
        CheckLayerCount(layers);
        var byName = new Dictionary<string, (JsonElement Layer, List<string> Sources)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var layer in layers.EnumerateArray())
        {
            var name = LayerName(layer);
            var sources = new List<string>();
            if (Str(layer, "class_name") != LayerCatalog.InputLayer)
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
            if (Str(layer, "class_name") == LayerCatalog.InputLayer)
            {
                LayerCatalog.CheckDtype(name, layer.GetProperty("config"));
                _outputs[name] = graph.AddInput(BatchInputShape(layer.GetProperty("config"))
                    ?? throw new ModelConversionException($"input layer {name} has no batch_input_shape"));
            }
            else if (sources.Count == 0)
                throw new ModelConversionException($"layer {name} has no inputs");
            else
            {
                var layerInputs = sources.Select(s => _outputs[s]).ToList();
                _outputs[name] = LayerCatalog.Emit(graph, layer, layerInputs);
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

    void AddOutput(string tensor) => graph.AddOutput(tensor, _inputOf.GetValueOrDefault(tensor));

    /// <summary>
    /// <c>input_layers</c>/<c>output_layers</c>: a list of [name, node, tensor] (TF.js, Keras 2), or for one of them the
    /// flat [name, node, tensor] Keras 3 writes.
    /// </summary>
    static List<JsonElement> Endpoints(JsonElement layers) =>
        layers.ValueKind != JsonValueKind.Array ? throw new ModelConversionException($"input_layers/output_layers is not a list: {Truncate(layers)}")
        : layers.GetArrayLength() > 0 && layers[0].ValueKind == JsonValueKind.String ? [layers]
        : layers.EnumerateArray().ToList();

    static IEnumerable<string> Inbound(JsonElement node)
    {
        // Keras 3: {"args": [tensor or [tensors]], "kwargs": {...}}, each tensor {"class_name": "__keras_tensor__",
        // "config": {"keras_history": [layerName, nodeIndex, tensorIndex]}}.
        if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Array)
        {
            foreach (var arg in args.EnumerateArray())
            {
                foreach (var tensor in arg.ValueKind == JsonValueKind.Array ? arg.EnumerateArray().ToList() : [arg])
                    yield return KerasTensorSource(tensor);
            }

            yield break;
        }

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

    static string KerasTensorSource(JsonElement tensor) =>
        tensor.ValueKind == JsonValueKind.Object && Str(tensor, "class_name") == "__keras_tensor__"
            && tensor.GetProperty("config").TryGetProperty("keras_history", out var history) && history.ValueKind == JsonValueKind.Array
            && history.GetArrayLength() > 0 && history[0].ValueKind == JsonValueKind.String
            ? history[0].GetString()!
            : throw new ModelConversionException($"unsupported inbound node argument (a layer's input must be a __keras_tensor__): {Truncate(tensor)}");
}
