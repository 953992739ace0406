using System.Text.Json;

namespace Bus.Ml.Tests;

[Collection(ExportedModelsCollection.Name)]
public class When_a_TFjs_layers_model_is_converted_to_ONNX(ExportedModels models)
{
    [Theory]
    [InlineData("digits")]
    [InlineData("functional-skip")]
    [InlineData("sequential-dense")]
    [InlineData("activations")]
    [InlineData("merging")]
    [InlineData("global-max")]
    [InlineData("reshaping")]
    [InlineData("sequence")]
    [InlineData("conv1d")]
    [InlineData("depthwise")]
    [InlineData("recurrent")]
    [InlineData("bidirectional")]
    [InlineData("text-lstm")]
    [InlineData("upscaler")]
    public void Should_give_the_outputs_TFjs_gives_within_1e_4(string name)
    {
        var directory = models.Case(name);
        if (name == "activations")
        {
            File.ReadAllText(Path.Combine(directory, "model.json")).Should().ContainAll(
                ["\"gelu\"", "\"softplus\"", "\"softsign\"", "\"swish\"", "\"gelu_new\"", "\"mish\"", "\"hard_sigmoid\""]);
        }

        var onnx = KerasOnnxConverter.Convert(File.ReadAllBytes(Path.Combine(directory, "model.json")), shard => File.ReadAllBytes(Path.Combine(directory,
            shard)));

        TfjsReference.WorstDifference(onnx, Path.Combine(directory, "reference.json")).Should().BeLessThan(1e-4f, $"{name}: largest difference from TF.js");
    }

    [Fact]
    public void Should_name_an_unsupported_layer()
    {
        var json = File.ReadAllText(Path.Combine(models.Case("sequential-dense"), "model.json")).Replace("\"class_name\":\"Activation\"",
            "\"class_name\":\"ConvLSTM2D\"", StringComparison.Ordinal);

        var act = () => KerasOnnxConverter.Convert(System.Text.Encoding.UTF8.GetBytes(json), shard =>
            File.ReadAllBytes(Path.Combine(models.Case("sequential-dense"), shard)));

        act.Should().Throw<ModelConversionException>().WithMessage("*unsupported layer 'ConvLSTM2D'*");
    }

    [Fact]
    public void Should_say_which_shard_is_missing()
    {
        var directory = models.Case("functional-skip");

        var act = () => KerasOnnxConverter.Convert(File.ReadAllBytes(Path.Combine(directory, "model.json")),
            shard => shard.Contains("shard2", StringComparison.Ordinal) ? throw new FileNotFoundException(shard) : File.ReadAllBytes(Path.Combine(directory,
                shard)));

        act.Should().Throw<ModelConversionException>().WithMessage("*weight shard 'group1-shard2of3.bin' is missing*");
    }

    [Fact]
    public void Should_refuse_a_corrupt_model_json() =>
        FluentActions.Invoking(() => KerasOnnxConverter.Convert("{ not json"u8.ToArray(), _ => []))
            .Should().Throw<ModelConversionException>().WithMessage("model.json is not valid JSON*");

    [Fact]
    public void Should_refuse_weights_of_another_dtype()
    {
        var directory = models.Case("sequential-dense");
        var json = File.ReadAllText(Path.Combine(directory, "model.json")).Replace("\"dtype\":\"float32\"}", "\"dtype\":\"int32\"}", StringComparison.Ordinal);

        var act = () => KerasOnnxConverter.Convert(System.Text.Encoding.UTF8.GetBytes(json), shard => File.ReadAllBytes(Path.Combine(directory, shard)));

        act.Should().Throw<ModelConversionException>().WithMessage("*dtype 'int32'*");
    }

    [Fact]
    public void Should_notice_a_truncated_shard()
    {
        var directory = models.Case("digits");

        var act = () => KerasOnnxConverter.Convert(File.ReadAllBytes(Path.Combine(directory, "model.json")),
            shard => File.ReadAllBytes(Path.Combine(directory, shard))[..^8]);

        act.Should().Throw<ModelConversionException>().WithMessage("*truncated or missing*");
    }

    [Fact]
    public void Should_check_every_supported_layer_against_TFjs()
    {
        string[] cases = ["digits", "functional-skip", "sequential-dense", "activations", "merging", "global-max", "reshaping", "sequence", "conv1d",
            "depthwise", "recurrent", "bidirectional", "text-lstm", "upscaler"];
        var exercised = cases
            .SelectMany(name => LayerClasses(JsonDocument.Parse(File.ReadAllText(Path.Combine(models.Case(name), "model.json"))).RootElement))
            .Concat(When_a_layer_TFjs_lacks_is_checked_against_its_definition.Layers)
            .ToHashSet(StringComparer.Ordinal);

        KerasOnnxConverter.SupportedLayers.Except(exercised).Should().BeEmpty("every layer the converter claims is compared with TF.js's outputs, or " +
            "where TF.js lacks it with its definition");
    }

    [Theory]
    [InlineData("threshold")]
    [InlineData("negative_slope")]
    public void Should_refuse_a_ReLU_it_would_get_wrong(string setting)
    {
        var directory = models.Case("sequential-dense");
        var json = File.ReadAllText(Path.Combine(directory, "model.json"));
        json.Should().Contain("\"max_value\":0.25");
        json = json.Replace("\"max_value\":0.25", $"\"max_value\":0.25,\"{setting}\":0.5", StringComparison.Ordinal);

        var act = () => KerasOnnxConverter.Convert(System.Text.Encoding.UTF8.GetBytes(json), shard => File.ReadAllBytes(Path.Combine(directory, shard)));

        act.Should().Throw<ModelConversionException>().WithMessage($"*ReLU with {setting} 0.5 is not supported*");
    }

    static IEnumerable<string> LayerClasses(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => p.Name == "layers" && p.Value.ValueKind == JsonValueKind.Array
            ? p.Value.EnumerateArray().Select(l => l.GetProperty("class_name").GetString()!).Concat(LayerClasses(p.Value))
            : LayerClasses(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(LayerClasses),
        _ => [],
    };
}

/// <summary>
/// The same TF.js models rewritten in the form Keras 3 writes model.json (module, registered_name and build_config on
/// each layer, dtype as a DTypePolicy, InputLayer with batch_shape, inbound nodes as args of __keras_tensor__, flat
/// input_layers/output_layers): the converter reads both forms and gives TF.js's outputs either way.
/// </summary>
[Collection(ExportedModelsCollection.Name)]
public class When_a_model_json_is_in_its_Keras_3_form(ExportedModels models)
{
    static System.Text.Json.Nodes.JsonObject Policy(string name) => new()
    {
        ["module"] = "keras",
        ["class_name"] = "DTypePolicy",
        ["config"] = new System.Text.Json.Nodes.JsonObject { ["name"] = name },
        ["registered_name"] = null,
    };

    static System.Text.Json.Nodes.JsonObject Tensor(System.Text.Json.Nodes.JsonNode entry) => new()
    {
        ["class_name"] = "__keras_tensor__",
        ["config"] = new System.Text.Json.Nodes.JsonObject
        {
            ["shape"] = new System.Text.Json.Nodes.JsonArray(),
            ["dtype"] = "float32",
            ["keras_history"] = new System.Text.Json.Nodes.JsonArray(entry[0]!.DeepClone(), entry[1]!.DeepClone(), entry[2]!.DeepClone()),
        },
    };

    /// <summary>Rewrites a TF.js (Keras 2 form) model.json as Keras 3 writes it.</summary>
    internal static string Keras3(string modelJson, string dtype = "float32")
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(modelJson)!;
        var topology = root["modelTopology"]!;
        var model = topology["model_config"] ?? topology;
        var config = model["config"]!;
        var layers = config is System.Text.Json.Nodes.JsonArray array ? array : config["layers"]!.AsArray();
        foreach (var layer in layers)
        {
            layer!["module"] = "keras.layers";
            layer["registered_name"] = null;
            var layerConfig = layer["config"]!.AsObject();
            layerConfig["dtype"] = Policy(dtype);
            if (layerConfig.Remove("batch_input_shape", out var shape))
                layerConfig["batch_shape"] = shape;
            layer["build_config"] = new System.Text.Json.Nodes.JsonObject { ["input_shape"] = layerConfig["batch_shape"]?.DeepClone() };
            if (layer["inbound_nodes"] is System.Text.Json.Nodes.JsonArray { Count: 1 } nodes && nodes[0] is System.Text.Json.Nodes.JsonArray entries)
            {
                var tensors = entries.Select(e => (System.Text.Json.Nodes.JsonNode)Tensor(e!)).ToArray();
                layer["inbound_nodes"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
                {
                    // One input: the tensor itself; a merge layer: the list of its inputs.
                    ["args"] = new System.Text.Json.Nodes.JsonArray(tensors.Length == 1 ? tensors[0] : new System.Text.Json.Nodes.JsonArray(tensors)),
                    ["kwargs"] = new System.Text.Json.Nodes.JsonObject(),
                });
            }
        }

        foreach (var key in new[] { "input_layers", "output_layers" })
        {
            if (config is System.Text.Json.Nodes.JsonObject o && o[key] is System.Text.Json.Nodes.JsonArray { Count: 1 } list)
                o[key] = list[0]!.DeepClone();
        }

        return root.ToJsonString();
    }

    [Theory]
    [InlineData("functional-skip")]
    [InlineData("sequential-dense")]
    public void Should_give_the_outputs_TFjs_gives_within_1e_4(string name)
    {
        var directory = models.Case(name);
        var original = File.ReadAllText(Path.Combine(directory, "model.json"));
        var keras3 = Keras3(original);
        keras3.Should().Contain("DTypePolicy").And.NotContain("batch_input_shape");
        if (name == "functional-skip")
            keras3.Should().Contain("__keras_tensor__").And.Contain("\"input_layers\":[\"");

        var onnx = KerasOnnxConverter.Convert(System.Text.Encoding.UTF8.GetBytes(keras3), shard => File.ReadAllBytes(Path.Combine(directory, shard)));
        TfjsReference.WorstDifference(onnx, Path.Combine(directory, "reference.json")).Should().BeLessThan(1e-4f,
            $"{name} in Keras 3 form: largest difference from TF.js");
    }

    [Fact]
    public void Should_read_hard_sigmoid_as_Keras_3_defines_it()
    {
        // Keras 3: clip(x / 6 + 0.5, 0, 1); TF.js and Keras 2: clip(0.2 x + 0.5, 0, 1).
        const string Sequential = """
            {"modelTopology": {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"module": "keras.layers", "class_name": "InputLayer", "config": {"name": "x", "batch_shape": [null, 4], "dtype": "float32"}},
              {"module": "keras.layers", "class_name": "Activation", "config": {"name": "a", "activation": "hard_sigmoid",
                "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}}}]}},
             "weightsManifest": []}
            """;
        float[] x = [-4f, -1f, 0.5f, 2f];
        using var keras3 = OnnxModel.Load(KerasOnnxConverter.Convert(System.Text.Encoding.UTF8.GetBytes(Sequential), _ => []));
        keras3.Predict(x, 1)[0].Should().Equal(x.Select(v => Math.Clamp(v / 6 + 0.5f, 0, 1)), (a, e) => Math.Abs(a - e) < 1e-6);
        using var keras2 = OnnxModel.Load(KerasOnnxConverter.Convert(System.Text.Encoding.UTF8.GetBytes(Sequential.Replace("\"module\": \"keras.layers\", ",
            "", StringComparison.Ordinal)), _ => []));
        keras2.Predict(x, 1)[0].Should().Equal(x.Select(v => Math.Clamp(0.2f * v + 0.5f, 0, 1)), (a, e) => Math.Abs(a - e) < 1e-6);
    }

    [Theory]
    [InlineData("float64")]
    [InlineData("mixed_float16")]
    public void Should_check_a_DTypePolicy_as_it_checks_a_dtype_string(string dtype)
    {
        var directory = models.Case("functional-skip");
        var keras3 = Keras3(File.ReadAllText(Path.Combine(directory, "model.json")), dtype);
        var act = () => KerasOnnxConverter.Convert(System.Text.Encoding.UTF8.GetBytes(keras3), shard => File.ReadAllBytes(Path.Combine(directory, shard)));
        act.Should().Throw<ModelConversionException>().WithMessage($"*dtype '{dtype}'; only float32 is supported");
    }
}
