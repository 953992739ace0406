using System.IO.Compression;
using System.Text.Json;
using Bus.Contracts;

namespace Bus.Ml.Tests;

/// <summary>
/// The converter's models as Keras saves them (written by tools/keras-files.mjs with h5wasm, the HDF5 C library):
/// Keras 3's .keras zip, the same with sharded weights, and the legacy .h5. Each gives TF.js's outputs within 1e-4.
/// </summary>
[Collection(ExportedModelsCollection.Name)]
public class When_a_model_is_a_Keras_file(ExportedModels models)
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in new[] { "digits", "functional-skip", "sequential-dense", "activations", "merging", "global-max", "reshaping", "sequence",
                     "conv1d", "depthwise", "recurrent", "bidirectional", "text-lstm", "upscaler" })
        {
            // activations and recurrent use hard_sigmoid, which Keras 3 redefined (x/6 + 0.5, TF.js 0.2x + 0.5): no .keras form.
            foreach (var file in name is "activations" or "recurrent" ? ["model.h5"] : new[] { "model.keras", "sharded.keras", "model.h5" })
                data.Add(name, file);
        }

        return data;
    }

    static string FormatOf(string file) => file.EndsWith(".h5", StringComparison.Ordinal) ? ArtifactFormats.KerasH5 : ArtifactFormats.Keras;

    byte[] Read(string name, string file) => File.ReadAllBytes(Path.Combine(models.Case(name), file));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_give_the_outputs_TFjs_gives_within_1e_4(string name, string file)
    {
        var onnx = KerasOnnxConverter.ConvertFile(FormatOf(file), Read(name, file), ArtifactLimits.Default);

        TfjsReference.WorstDifference(onnx, Path.Combine(models.Case(name), "reference.json")).Should().BeLessThan(1e-4f,
            $"{name} as {file}: largest difference from TF.js");
    }

    [Fact]
    public void Should_write_the_files_in_the_layouts_Keras_writes()
    {
        using (var zip = ZipFile.OpenRead(Path.Combine(models.Case("functional-skip"), "model.keras")))
        {
            zip.Entries.Select(e => e.FullName).Should().BeEquivalentTo(["metadata.json", "config.json", "model.weights.h5"]);
            using var config = JsonDocument.Parse(zip.GetEntry("config.json")!.Open());
            config.RootElement.GetRawText().Should().Contain("__keras_tensor__").And.Contain("DTypePolicy").And.Contain("\"batch_shape\"");
        }

        using (var sharded = ZipFile.OpenRead(Path.Combine(models.Case("functional-skip"), "sharded.keras")))
        {
            sharded.Entries.Select(e => e.FullName).Should().Contain(["model.weights.json", "model_00000.weights.h5", "model_00001.weights.h5"])
                .And.NotContain("model.weights.h5");
            using var map = JsonDocument.Parse(sharded.GetEntry("model.weights.json")!.Open());
            map.RootElement.GetProperty("weight_map").EnumerateObject().Should().Contain(p => p.Value.GetArrayLength() == 2,
                "one variable group is split across both shards");
        }

        Read("functional-skip", "model.h5").AsSpan().IndexOf("layer_names0"u8).Should().BePositive("its layer list is split as Keras splits long lists");
        Read("functional-skip", "model.h5").AsSpan(0, 8).ToArray().Should().Equal(0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a);
    }

    [Theory]
    [InlineData("model.keras", "keras-h5", "*is a zip archive (a .keras file: announce 'keras')*")]
    [InlineData("model.h5", "keras", "*is an HDF5 file (a legacy .h5 model: announce 'keras-h5')*")]
    [InlineData("model.json", "keras", "*is JSON (a TF.js model.json: announce 'tfjs-layers')*")]
    [InlineData("model.h5", "onnx", "*is an HDF5 file*")]
    [InlineData("model.keras", "tfjs-layers", "*is a zip archive*")]
    public void Should_refuse_a_file_whose_signature_is_not_its_announced_format(string file, string format, string message)
    {
        var act = () => ArtifactSignature.Check(format, Read("sequential-dense", file));

        act.Should().Throw<ModelConversionException>().WithMessage($"artifactFormat is '{format}' but the file {message}");
    }

    [Fact]
    public void Should_accept_each_file_as_its_own_format()
    {
        foreach (var (file, format) in new[] { ("model.keras", "keras"), ("model.h5", "keras-h5"), ("model.json", "tfjs-layers") })
            FluentActions.Invoking(() => ArtifactSignature.Check(format, Read("sequential-dense", file))).Should().NotThrow();
    }

    /// <summary>The archive with <paramref name="entry"/> replaced by what <paramref name="change"/> makes of it (null: left out).</summary>
    static byte[] Rewrite(byte[] keras, string entry, Func<byte[], byte[]?> change)
    {
        var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(keras), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var e in source.Entries)
            {
                var bytes = new MemoryStream();
                using (var read = e.Open())
                    read.CopyTo(bytes);
                var content = e.FullName == entry ? change(bytes.ToArray()) : bytes.ToArray();
                if (content is null)
                    continue;
                using var write = target.CreateEntry(e.FullName).Open();
                write.Write(content);
            }
        }

        return output.ToArray();
    }

    static byte[] WithConfig(byte[] keras, Action<System.Text.Json.Nodes.JsonArray> change) => Rewrite(keras, "config.json", bytes =>
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(bytes)!;
        change(node["config"]!["layers"]!.AsArray());
        return System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());
    });

    [Fact]
    public void Should_say_which_layer_lacks_its_weights()
    {
        // One more Dense than the weights file holds: its container name (dense_N) is not in model.weights.h5.
        var keras = WithConfig(Read("sequential-dense", "model.keras"), layers =>
        {
            var dense = layers.First(l => (string?)l!["class_name"] == "Dense")!.DeepClone();
            dense["config"]!["name"] = "extra";
            layers.Add(dense);
        });

        var act = () => KerasOnnxConverter.ConvertKeras(keras, ArtifactLimits.Default);

        act.Should().Throw<ModelConversionException>()
            .WithMessage("layer extra (Dense): its weight kernel is not in the weights file (expected 'layers/dense_*/vars/0')");
    }

    [Fact]
    public void Should_refuse_weights_no_layer_takes()
    {
        var keras = WithConfig(Read("sequential-dense", "model.keras"), layers =>
            layers.Last(l => (string?)l!["class_name"] == "Dense")!["config"]!["use_bias"] = false);

        var act = () => KerasOnnxConverter.ConvertKeras(keras, ArtifactLimits.Default);

        act.Should().Throw<ModelConversionException>().WithMessage("the weights file holds weights no layer of config.json takes: layers/dense_*/vars/1");
    }

    [Fact]
    public void Should_refuse_a_zip_without_a_config() =>
        FluentActions.Invoking(() => KerasOnnxConverter.ConvertKeras(Rewrite(Read("digits", "model.keras"), "config.json", _ => null), ArtifactLimits.Default))
            .Should().Throw<ModelConversionException>().WithMessage("*has no config.json*");

    [Fact]
    public void Should_refuse_a_shard_map_that_points_outside_the_archive()
    {
        var keras = Rewrite(Read("digits", "sharded.keras"), "model.weights.json",
            _ => """{"weight_map": {"/layers/dense/vars": ["../../etc/passwd"]}}"""u8.ToArray());

        FluentActions.Invoking(() => KerasOnnxConverter.ConvertKeras(keras, ArtifactLimits.Default))
            .Should().Throw<ModelConversionException>().WithMessage("*shard name '../../etc/passwd' is refused*");
    }

    [Fact]
    public void Should_check_a_declared_entry_size_before_inflating_it()
    {
        var limits = new ArtifactLimits { MaxShardBytes = 1024 };

        FluentActions.Invoking(() => KerasOnnxConverter.ConvertKeras(Read("digits", "model.keras"), limits))
            .Should().Throw<ModelConversionException>().WithMessage("'model.weights.h5' in the .keras archive is * bytes; the limit is 1,024");
    }

    [Fact]
    public void Should_fail_a_corrupt_weights_file_with_a_conversion_error()
    {
        var keras = Rewrite(Read("digits", "model.keras"), "model.weights.h5", bytes =>
        {
            for (var i = 64; i < bytes.Length; i += 7)
                bytes[i] ^= 0x5A;
            return bytes;
        });

        FluentActions.Invoking(() => KerasOnnxConverter.ConvertKeras(keras, ArtifactLimits.Default)).Should().Throw<ModelConversionException>();
    }

    [Fact]
    public void Should_refuse_a_weights_only_h5_with_what_to_do()
    {
        var path = Path.Combine(models.Directory, "weights-only.h5");
        File.Copy(Path.Combine(models.Case("digits"), "model.h5"), path, overwrite: true);
        var bytes = File.ReadAllBytes(path);
        var at = bytes.AsSpan().IndexOf("model_config"u8);
        at.Should().BePositive();
        "MODEL_CONFIG"u8.CopyTo(bytes.AsSpan(at));

        FluentActions.Invoking(() => KerasOnnxConverter.ConvertKerasH5(bytes, ArtifactLimits.Default))
            .Should().Throw<ModelConversionException>().WithMessage("*no model_config attribute*model.save(\"model.h5\")*");
    }
}

/// <summary>A fully convolutional model takes any height and width: converted with its open axes, run at the shape of each request.</summary>
[Collection(ExportedModelsCollection.Name)]
public class When_a_model_has_open_input_dimensions(ExportedModels models)
{
    [Fact]
    public void Should_convert_each_open_axis_and_run_at_any_size_as_TFjs_does()
    {
        var directory = models.Case("upscaler");
        var onnx = KerasOnnxConverter.ConvertFile("keras", File.ReadAllBytes(Path.Combine(directory, "model.keras")), ArtifactLimits.Default);
        var graph = Onnx.ModelProto.Parser.ParseFrom(onnx).Graph.Input.Single().Type.TensorType.Shape.Dim;
        graph.Select(d => d.DimParam).Should().Equal("batch", "d1", "d2", "");
        graph[3].DimValue.Should().Be(3);

        foreach (var reference in new[] { "reference.json", "reference-4x4.json" })
            TfjsReference.WorstDifference(onnx, Path.Combine(directory, reference)).Should().BeLessThan(1e-4f, reference);

        using var model = OnnxModel.Load(onnx);
        model.IsDynamic.Should().BeTrue();
        model.InputShape.Should().Equal(-1, -1, 3);
        FluentActions.Invoking(() => model.SampleShape([4, 4, 2])).Should().Throw<ModelConversionException>()
            .WithMessage("*does not fit the model's input [?,?,3]*");
        FluentActions.Invoking(() => model.Predict(new float[48], 1)).Should().Throw<ModelConversionException>().WithMessage("*open dimensions*");
    }

    [Fact]
    public void Should_evaluate_on_a_set_that_says_its_shape_and_refuse_one_that_cannot()
    {
        var directory = models.Case("upscaler");
        using var model = OnnxModel.Load(KerasOnnxConverter.ConvertFile("keras", File.ReadAllBytes(Path.Combine(directory, "model.keras")),
            ArtifactLimits.Default));
        // A regression of the upscaled image against itself: targets are the model's own outputs, so every error is zero.
        var inputs = Enumerable.Range(0, 2 * 4 * 6 * 3).Select(i => (float)Math.Sin(i)).ToArray();
        var outputs = model.Predict(inputs, 2, [4, 6, 3], CancellationToken.None);
        var json = System.Text.Json.JsonSerializer.Serialize(new { inputShape = new[] { 4, 6, 3 }, features = inputs.Chunk(72), labels = outputs });
        var path = Path.Combine(models.Directory, "upscaler-set.json");
        File.WriteAllText(path, json);
        using (var data = Ml.Data.EvaluationData.Open("json", path, Ml.Data.DataFeatures.Default, ArtifactLimits.Default))
            Evaluator.Evaluate(model, data, EvaluationTask.Regression).Metrics["maxError"].Should().Be(0);

        var tabular = Path.Combine(models.Tabular("regression"), "validation.tfrecord");
        using var streamed = Ml.Data.EvaluationData.Open("tfrecord", tabular, Ml.Data.DataFeatures.Default, ArtifactLimits.Default);
        FluentActions.Invoking(() => Evaluator.Evaluate(model, streamed, EvaluationTask.Regression)).Should().Throw<ModelConversionException>()
            .WithMessage("*open dimensions: evaluate it on a JSON set*");
    }
}

/// <summary>Damaged Keras files (bytes flipped or cut anywhere) fail with a conversion error, never another exception.</summary>
[Collection(ExportedModelsCollection.Name)]
public class When_a_Keras_file_is_damaged(ExportedModels models)
{
    [Theory]
    [InlineData("model.h5", "keras-h5")]
    [InlineData("model.keras", "keras")]
    [InlineData("sharded.keras", "keras")]
    public void Should_fail_every_damaged_copy_with_a_conversion_error(string file, string format)
    {
        var original = File.ReadAllBytes(Path.Combine(models.Case("functional-skip"), file));
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        // The signature (8 bytes) is kept: a file that is not what it says is refused before it is parsed.
        foreach (var bytes in Damage.Copies(original, 20261204, 150, keep: 8))
        {
            try
            {
                KerasOnnxConverter.ConvertFile(format, bytes, ArtifactLimits.Default);
                outcomes["converted"] = outcomes.GetValueOrDefault("converted") + 1;
            }
            catch (ModelConversionException)
            {
                outcomes["refused"] = outcomes.GetValueOrDefault("refused") + 1;
            }
        }

        outcomes.GetValueOrDefault("refused").Should().BeGreaterThan(0, "damage is noticed");
    }
}
