using System.Text.Json;
using PureHDF;
using PureHDF.VOL.Native;
using static Bus.Ml.Keras.KerasJson;

namespace Bus.Ml.Keras;

/// <summary>
/// The legacy HDF5 file of <c>model.save("model.h5")</c> (keras <c>legacy/saving</c>): the model config as the root's
/// <c>model_config</c> attribute (JSON), the weights in <c>model_weights</c>, whose <c>layer_names</c> attribute lists
/// one group per layer, each with a <c>weight_names</c> attribute naming its datasets in the layer's order
/// (<c>dense/kernel:0</c> in Keras 2, <c>dense/kernel</c> in Keras 3). A list attribute that outgrew an object header is
/// split as <c>layer_names0</c>, <c>layer_names1</c>, …
/// </summary>
internal static class KerasLegacyH5
{
    const string WeightsGroup = "model_weights";

    public static (JsonDocument Config, Dictionary<string, KerasTensor> Weights) Read(byte[] file, ArtifactLimits limits)
    {
        const string What = "the .h5 model";
        using var h5 = Hdf5Reader.Open(file, What);
        var configText = Hdf5Reader.Guard(What, () => Hdf5Reader.String(h5, "model_config", What))
            ?? throw new ModelConversionException("the .h5 file has no model_config attribute: it holds weights only (save the whole model with " +
                "model.save(\"model.h5\"), or use the .keras format)");
        var config = Parse(System.Text.Encoding.UTF8.GetBytes(configText), "the .h5 file's model_config");

        try
        {
            return (config, Hdf5Reader.Guard(What, () => Weights(h5, config.RootElement, limits)));
        }
        catch
        {
            config.Dispose();
            throw;
        }
    }

    static Dictionary<string, KerasTensor> Weights(NativeFile h5, JsonElement topology, ArtifactLimits limits)
    {
        if (!h5.LinkExists(WeightsGroup))
            throw new ModelConversionException($"the .h5 file has no {WeightsGroup} group");
        var group = h5.Group(WeightsGroup);
        var layerNames = Hdf5Reader.Strings(group, "layer_names", WeightsGroup)
            ?? throw new ModelConversionException($"the .h5 file's {WeightsGroup} has no layer_names attribute");
        if (layerNames.Length > limits.MaxLayers)
            throw new ModelConversionException($"the .h5 file lists {layerNames.Length:N0} layers; the limit is {limits.MaxLayers:N0}");
        var layers = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var layer in KerasWeightLayout.Layers(topology))
            layers.TryAdd(LayerName(layer), layer);

        var weights = new Dictionary<string, KerasTensor>(StringComparer.Ordinal);
        long parameters = 0;
        foreach (var layerName in layerNames)
        {
            if (!group.LinkExists(layerName))
                throw new ModelConversionException($"{WeightsGroup} lists layer '{layerName}' but has no group for it");
            var layerGroup = group.Group(layerName);
            var weightNames = Hdf5Reader.Strings(layerGroup, "weight_names", $"{WeightsGroup}/{layerName}") ?? [];
            if (weightNames.Length == 0)
                continue;
            if (!layers.TryGetValue(layerName, out var layer))
                throw new ModelConversionException($"{WeightsGroup} holds weights of '{layerName}', which is not a layer of model_config");
            var type = Str(layer, "class_name");
            var names = KerasWeightLayout.Of(type, layer.GetProperty("config")).SelectMany(g => g.Names).ToArray();
            if (names.Length != weightNames.Length)
                throw new ModelConversionException($"layer {layerName} ({type}) has {weightNames.Length} weights in the file " +
                    $"({string.Join(", ", weightNames.Take(6))}); the converter expects {names.Length} ({string.Join(", ", names)})");
            for (var i = 0; i < names.Length; i++)
            {
                var path = $"{WeightsGroup}/{layerName}/{weightNames[i]}";
                if (names[i].StartsWith(KerasWeightLayout.Skipped, StringComparison.Ordinal))
                    continue;
                if (!layerGroup.LinkExists(weightNames[i]))
                    throw new ModelConversionException($"weight '{path}' is listed in weight_names but not in the file");
                var tensor = Hdf5Reader.Tensor(layerGroup.Dataset(weightNames[i]), path, limits);
                limits.AddParameters(ref parameters, tensor.Values.Length);
                weights[$"{layerName}/{names[i]}"] = tensor;
            }
        }

        return weights;
    }
}
