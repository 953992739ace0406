using System.Text.Json;
using System.Text.RegularExpressions;
using static Bus.Ml.Keras.KerasJson;

namespace Bus.Ml.Keras;

/// <summary>
/// Where Keras puts a layer's weights when it saves a whole model. Keras files hold weights by position (a
/// <c>.keras</c> file as <c>layers/dense_1/vars/0</c>, a legacy <c>.h5</c> in the order of its <c>weight_names</c>),
/// while the emitters ask for them by name (<c>kernel</c>, <c>bias</c>): this table gives, per layer class, each
/// variable group's path below the layer and the names of its variables in the order the layer creates them.
/// </summary>
internal static partial class KerasWeightLayout
{
    /// <summary>Keras's SeedGenerator state (Dropout and other random layers): saved, but nothing at inference uses it.</summary>
    public const string SeedGenerator = "seed_generator";

    /// <summary>A variable name starting with this is saved but not read (a counter, say): it is taken without a dtype check.</summary>
    public const string Skipped = "-";

    /// <summary>The variable groups of a layer of class <paramref name="type"/>; empty for layers without weights.</summary>
    public static IReadOnlyList<(string Path, string[] Names)> Of(string type, JsonElement config) => type switch
    {
        "Dense" or "Conv1D" or "Conv2D" or "Conv2DTranspose" => [("vars", WithBias(config, "kernel"))],
        "DepthwiseConv2D" => [("vars", WithBias(config, "depthwise_kernel"))],
        "SeparableConv2D" => [("vars", WithBias(config, "depthwise_kernel", "pointwise_kernel"))],
        "Embedding" => [("vars", ["embeddings"])],
        "BatchNormalization" => [("vars", [.. Affine(config), "moving_mean", "moving_variance"])],
        "LayerNormalization" => [("vars", Affine(config))],
        // After adapt(): mean, variance and an integer count nothing at inference uses (its name starts with Skipped).
        "Normalization" when !(config.TryGetProperty("mean", out var mean) && mean.ValueKind is JsonValueKind.Number or JsonValueKind.Array) =>
            [("vars", ["mean", "variance", Skipped + "count"])],
        "LSTM" or "GRU" => [("cell/vars", WithBias(config, "kernel", "recurrent_kernel"))],
        // Its directions are its forward_layer and backward_layer attributes, each an LSTM or GRU with a cell.
        "Bidirectional" when config.TryGetProperty("layer", out var wrapped) && wrapped.ValueKind == JsonValueKind.Object =>
            new[] { "forward", "backward" }.SelectMany(direction => Of(Str(wrapped, "class_name"), wrapped.GetProperty("config")).Select(g =>
                ($"{direction}_layer/{g.Path}", g.Names.Select(n => $"{direction}_{Str(wrapped.GetProperty("config"), "name")}/{n}").ToArray()))).ToList(),
        // The wrapper has no variables of its own: they are its `layer` attribute's, named as the wrapper's.
        "TimeDistributed" when config.TryGetProperty("layer", out var inner) && inner.ValueKind == JsonValueKind.Object =>
            Of(Str(inner, "class_name"), inner.GetProperty("config")).Select(g => ($"layer/{g.Path}", g.Names)).ToList(),
        _ => [],
    };

    static string[] WithBias(JsonElement config, params string[] names) => Bool(config, "use_bias", true) ? [.. names, "bias"] : names;

    static string[] Affine(JsonElement config) =>
        [.. Bool(config, "scale", true) ? ["gamma"] : Array.Empty<string>(), .. Bool(config, "center", true) ? ["beta"] : Array.Empty<string>()];

    /// <summary>
    /// The layers of a topology in the order Keras lists them (Sequential's list or a functional config's
    /// <c>layers</c>), which is the order it saves them in.
    /// </summary>
    public static IEnumerable<JsonElement> Layers(JsonElement topology)
    {
        var config = topology.TryGetProperty("config", out var c) ? c : throw new ModelConversionException("the model config has no 'config'");
        var layers = config.ValueKind == JsonValueKind.Array ? config : config.TryGetProperty("layers", out var l) ? l : default;
        return layers.ValueKind == JsonValueKind.Array ? layers.EnumerateArray() : throw new ModelConversionException("the model's layers are not an array");
    }

    /// <summary>
    /// Keras 3's name for a layer inside the saved <c>layers</c> list: its class in snake case, with <c>_1</c>,
    /// <c>_2</c>, … for the second and later of a class (keras <c>saving_lib</c>; not the layer's own name).
    /// </summary>
    public static string ContainerName(string type, Dictionary<string, int> used)
    {
        var name = SnakeCase(type);
        if (used.TryGetValue(name, out var count))
        {
            used[name] = count + 1;
            return $"{name}_{count + 1}";
        }

        used[name] = 0;
        return name;
    }

    /// <summary>CamelCase to snake_case as Keras does it: Conv2DTranspose is conv2d_transpose, ReLU is re_lu.</summary>
    public static string SnakeCase(string name)
    {
        name = NonWord().Replace(name, string.Empty);
        name = WordStart().Replace(name, "$1_$2");
        return LowerUpper().Replace(name, "$1_$2").ToLowerInvariant();
    }

    [GeneratedRegex(@"\W+")]
    private static partial Regex NonWord();

    [GeneratedRegex("(.)([A-Z][a-z]+)")]
    private static partial Regex WordStart();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex LowerUpper();
}
