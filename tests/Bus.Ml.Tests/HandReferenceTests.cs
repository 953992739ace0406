using System.IO.Compression;
using System.Text;
using System.Text.Json;
using PureHDF;

namespace Bus.Ml.Tests;

/// <summary>
/// Layers and settings TF.js does not implement, so that it cannot be their reference: Subtract, ZeroPadding1D,
/// Normalization, the exponential activation and GRU with reset_after (Keras's default). Each is checked against a
/// plain C# computation of Keras's definition on seeded weights.
/// </summary>
public class When_a_layer_TFjs_lacks_is_checked_against_its_definition
{
    /// <summary>The layers these tests check; the converter test counts them as exercised.</summary>
    public static readonly string[] Layers = ["Subtract", "ZeroPadding1D", "Normalization"];

    static readonly Random Seeded = new(1204);

    static float[] RandomValues(int count) => Enumerable.Range(0, count).Select(_ => (float)(Seeded.NextDouble() * 2 - 1)).ToArray();

    /// <summary>A TF.js-style model.json around <paramref name="topology"/> with <paramref name="weights"/> in one shard; the outputs.</summary>
    static float[][] Run(string topology, (string Name, int[] Shape, float[] Values)[] weights, float[] inputs, int batch)
    {
        var shard = weights.SelectMany(w => w.Values).SelectMany(BitConverter.GetBytes).ToArray();
        var manifest = JsonSerializer.Serialize(new[]
        {
            new { paths = new[] { "w.bin" }, weights = weights.Select(w => new { name = w.Name, shape = w.Shape, dtype = "float32" }) },
        });
        var json = $$"""{"modelTopology": {{topology}}, "weightsManifest": {{manifest}}}""";
        using var model = OnnxModel.Load(KerasOnnxConverter.Convert(Encoding.UTF8.GetBytes(json), _ => shard));
        var rows = model.Predict(inputs, batch);
        model.Activations(model.InputShape).OutputElements.Should().Be(rows[0].Length, "the activation estimate's shapes are ONNX Runtime's");
        return rows;
    }

    static void ShouldMatch(float[][] actual, float[][] expected)
    {
        actual.Should().HaveCount(expected.Length);
        for (var i = 0; i < expected.Length; i++)
            actual[i].Should().Equal(expected[i], (a, e) => Math.Abs(a - e) < 1e-5f, $"sample {i}");
    }

    [Fact]
    public void Should_subtract_the_second_input_from_the_first()
    {
        const string Topology = """
            {"class_name": "Functional", "config": {"name": "m", "input_layers": [["x", 0, 0]], "output_layers": [["d", 0, 0]], "layers": [
              {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [null, 3]}, "inbound_nodes": []},
              {"class_name": "Dense", "name": "a", "config": {"name": "a", "units": 2, "use_bias": false}, "inbound_nodes": [[["x", 0, 0, {}]]]},
              {"class_name": "Dense", "name": "b", "config": {"name": "b", "units": 2, "use_bias": false}, "inbound_nodes": [[["x", 0, 0, {}]]]},
              {"class_name": "Subtract", "name": "d", "config": {"name": "d"}, "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]}]}}
            """;
        var (a, b, x) = (RandomValues(6), RandomValues(6), RandomValues(6));
        var expected = Enumerable.Range(0, 2).Select(s => Enumerable.Range(0, 2).Select(u =>
            Enumerable.Range(0, 3).Sum(i => x[s * 3 + i] * a[i * 2 + u]) - Enumerable.Range(0, 3).Sum(i => x[s * 3 + i] * b[i * 2 + u])).ToArray()).ToArray();

        ShouldMatch(Run(Topology, [("a/kernel", [3, 2], a), ("b/kernel", [3, 2], b)], x, 2), expected);
    }

    [Fact]
    public void Should_pad_steps_with_zeros_before_and_after()
    {
        const string Topology = """
            {"class_name": "Sequential", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [null, 4, 2]}},
              {"class_name": "ZeroPadding1D", "config": {"name": "p", "padding": [1, 2]}},
              {"class_name": "Activation", "config": {"name": "e", "activation": "exponential"}}]}}
            """;
        var x = RandomValues(16);
        var expected = Enumerable.Range(0, 2).Select(s => Enumerable.Range(0, 7).SelectMany(step => Enumerable.Range(0, 2).Select(c =>
            MathF.Exp(step is >= 1 and <= 4 ? x[s * 8 + (step - 1) * 2 + c] : 0))).ToArray()).ToArray();

        ShouldMatch(Run(Topology, [], x, 2), expected);
    }

    [Fact]
    public void Should_normalise_with_adapted_weights_and_invert_with_config_values()
    {
        const string Topology = """
            {"class_name": "Sequential", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [null, 3]}},
              {"class_name": "Normalization", "config": {"name": "n", "axis": -1, "mean": null, "variance": null}},
              {"class_name": "Normalization", "config": {"name": "i", "axis": [-1], "invert": true, "mean": [1, 2, 3], "variance": [4, 0, 0.25]}}]}}
            """;
        float[] mean = [0.5f, -1f, 2f];
        float[] variance = [2f, 0.5f, 0.01f];
        var x = RandomValues(6);
        float[] invertMean = [1, 2, 3];
        float[] invertDeviation = [2, 1e-7f, 0.5f];
        var expected = Enumerable.Range(0, 2).Select(s => Enumerable.Range(0, 3).Select(c =>
            (x[s * 3 + c] - mean[c]) / MathF.Max(MathF.Sqrt(variance[c]), 1e-7f) * invertDeviation[c] + invertMean[c]).ToArray()).ToArray();

        // model.json cannot hold the integer count: the manifest has mean and variance only.
        ShouldMatch(Run(Topology, [("n/mean", [3], mean), ("n/variance", [3], variance)], x, 2), expected);
    }

    [Fact]
    public void Should_read_an_adapted_Normalization_from_a_keras_file_skipping_its_integer_count()
    {
        const string Config = """
            {"module": "keras", "class_name": "Sequential", "config": {"name": "m", "layers": [
              {"module": "keras.layers", "class_name": "InputLayer", "config": {"name": "x", "batch_shape": [null, 2]}},
              {"module": "keras.layers", "class_name": "Normalization", "config": {"name": "norm", "axis": -1, "mean": null, "variance": null}}]}}
            """;
        var weights = Path.GetTempFileName();
        new H5File
        {
            ["layers"] = new H5Group
            {
                ["normalization"] = new H5Group
                {
                    ["vars"] = new H5Group { ["0"] = new H5Dataset(new[] { 1f, -2f }), ["1"] = new H5Dataset(new[] { 4f, 9f }), ["2"] = new H5Dataset(250L) },
                },
            },
        }.Write(weights);
        var archive = new MemoryStream();
        using (var zip = new ZipArchive(archive, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var writer = new StreamWriter(zip.CreateEntry("config.json").Open()))
                writer.Write(Config);
            zip.CreateEntryFromFile(weights, "model.weights.h5");
        }

        File.Delete(weights);
        using var model = OnnxModel.Load(KerasOnnxConverter.ConvertKeras(archive.ToArray(), ArtifactLimits.Default));

        model.Predict([3f, 4f], 1)[0].Should().Equal([(3f - 1) / 2, (4f + 2) / 3], (a, e) => Math.Abs(a - e) < 1e-6f);
    }

    [Fact]
    public void Should_run_a_GRU_with_reset_after_as_Keras_defines_it()
    {
        const string Topology = """
            {"class_name": "Sequential", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [null, 4, 3]}},
              {"class_name": "GRU", "config": {"name": "g", "units": 2, "reset_after": true, "return_sequences": true,
                "activation": "tanh", "recurrent_activation": "sigmoid"}}]}}
            """;
        const int Units = 2, Features = 3, Steps = 4, Batch = 2;
        var kernel = RandomValues(Features * 3 * Units);
        var recurrent = RandomValues(Units * 3 * Units);
        var bias = RandomValues(2 * 3 * Units);
        var x = RandomValues(Batch * Steps * Features);

        // Keras GRUCell (reset_after=True): gates z, r, h in that order along the kernels' columns; bias[0] for the
        // input, bias[1] for the recurrent projection; h = z * h_prev + (1 - z) * tanh(x W_h + b_h + r * (h_prev U_h + c_h)).
        static float Sigmoid(float v) => 1 / (1 + MathF.Exp(-v));
        var expected = new float[Batch][];
        for (var s = 0; s < Batch; s++)
        {
            var h = new float[Units];
            var outputs = new List<float>();
            for (var t = 0; t < Steps; t++)
            {
                float Input(int gate, int unit) => bias[gate * Units + unit]
                    + Enumerable.Range(0, Features).Sum(f => x[(s * Steps + t) * Features + f] * kernel[f * 3 * Units + gate * Units + unit]);
                float Recurrent(int gate, int unit, float[] previous) => bias[3 * Units + gate * Units + unit]
                    + Enumerable.Range(0, Units).Sum(k => previous[k] * recurrent[k * 3 * Units + gate * Units + unit]);
                var next = new float[Units];
                for (var u = 0; u < Units; u++)
                {
                    var z = Sigmoid(Input(0, u) + Recurrent(0, u, h));
                    var r = Sigmoid(Input(1, u) + Recurrent(1, u, h));
                    var candidate = MathF.Tanh(Input(2, u) + r * Recurrent(2, u, h));
                    next[u] = z * h[u] + (1 - z) * candidate;
                }

                h = next;
                outputs.AddRange(h);
            }

            expected[s] = [.. outputs];
        }

        ShouldMatch(Run(Topology, [("g/kernel", [Features, 3 * Units], kernel), ("g/recurrent_kernel", [Units, 3 * Units], recurrent),
            ("g/bias", [2, 3 * Units], bias)], x, Batch), expected);
    }
}
