using System.Text.Json;

namespace Bus.Ml.Tests;

[Collection(ExportedModelsCollection.Name)]
public class When_a_TFjs_layers_model_is_converted_to_ONNX(ExportedModels models)
{
    [Theory]
    [InlineData("digits")]
    [InlineData("functional-skip")]
    [InlineData("sequential-dense")]
    public void Should_give_the_outputs_TFjs_gives_within_1e_4(string name)
    {
        var directory = models.Case(name);
        var onnx = KerasOnnxConverter.Convert(File.ReadAllBytes(Path.Combine(directory, "model.json")), shard => File.ReadAllBytes(Path.Combine(directory,
            shard)));
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "reference.json")));
        var inputs = reference.RootElement.GetProperty("inputs").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var expected = reference.RootElement.GetProperty("outputs").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var batch = reference.RootElement.GetProperty("batch").GetInt32();

        using var model = OnnxModel.Load(onnx);
        var actual = model.Predict(inputs, batch).SelectMany(r => r).ToArray();

        actual.Should().HaveCount(expected.Length);
        var worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        worst.Should().BeLessThan(1e-4f, $"{name}: largest difference from TF.js");
        expected.Distinct().Count().Should().BeGreaterThan(batch, "the reference outputs must not be trivial");
    }

    [Fact]
    public void Should_name_an_unsupported_layer()
    {
        var json = File.ReadAllText(Path.Combine(models.Case("sequential-dense"), "model.json")).Replace("\"class_name\":\"Activation\"",
            "\"class_name\":\"LSTM\"", StringComparison.Ordinal);

        var act = () => KerasOnnxConverter.Convert(System.Text.Encoding.UTF8.GetBytes(json), shard =>
            File.ReadAllBytes(Path.Combine(models.Case("sequential-dense"), shard)));

        act.Should().Throw<ModelConversionException>().WithMessage("*unsupported layer 'LSTM'*");
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
        var exercised = new[] { "digits", "functional-skip", "sequential-dense" }
            .SelectMany(name => LayerClasses(JsonDocument.Parse(File.ReadAllText(Path.Combine(models.Case(name), "model.json"))).RootElement))
            .ToHashSet(StringComparer.Ordinal);

        KerasOnnxConverter.SupportedLayers.Except(exercised).Should().BeEmpty("every layer the converter claims is compared with TF.js's outputs");
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
