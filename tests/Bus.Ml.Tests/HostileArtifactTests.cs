using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Bus.Testing;
using Onnx;

namespace Bus.Ml.Tests;

/// <summary>Artifacts written to hurt the host: each is refused with a reason before it can take memory, time or files.</summary>
public class When_an_artifact_is_hostile
{
    static byte[] ModelJson(JsonArray weights, JsonNode? topology = null, JsonArray? paths = null) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["modelTopology"] = topology ?? new JsonObject
        {
            ["class_name"] = "Sequential",
            ["config"] = new JsonObject
            {
                ["layers"] = new JsonArray(new JsonObject
                {
                    ["class_name"] = "Dense",
                    ["config"] = new JsonObject { ["name"] = "dense", ["units"] = 2, ["batch_input_shape"] = new JsonArray(null, 4) },
                }),
            },
        },
        ["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = paths ?? new JsonArray("w.bin"), ["weights"] = weights }),
    }.ToJsonString());

    static JsonObject Weight(string name, params long[] shape) => new()
    {
        ["name"] = name,
        ["dtype"] = "float32",
        ["shape"] = new JsonArray(shape.Select(d =>
        (JsonNode)d).ToArray())
    };

    static Func<string, byte[]> Shard(int bytes) => _ => new byte[bytes];

    [Fact]
    public void Should_refuse_a_bias_of_two_billion_before_allocating_it() =>
        FluentActions.Invoking(() => KerasOnnxConverter.Convert(ModelJson([Weight("dense/kernel", 4, 2), Weight("dense/bias", 2_000_000_000)]), Shard(64)))
            .Should().Throw<ModelConversionException>().WithMessage("*weight 'dense/bias' has more than 100,000,000 elements*");

    [Fact]
    public void Should_refuse_a_kernel_whose_element_count_overflows_32_bits() =>
        FluentActions.Invoking(() => KerasOnnxConverter.Convert(ModelJson([Weight("dense/kernel", 65_536, 65_536, 2)]), Shard(64)))
            .Should().Throw<ModelConversionException>().WithMessage("*weight 'dense/kernel' has more than*");

    [Fact]
    public void Should_refuse_a_dense_layer_of_two_billion_units() =>
        FluentActions.Invoking(() => KerasOnnxConverter.Convert(ModelJson([Weight("dense/kernel", 4, 2_000_000_000)]), Shard(64)))
            .Should().Throw<ModelConversionException>().WithMessage("*more than 100,000,000 elements*");

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("shards/../../x.bin")]
    [InlineData("s3://other-bucket/w.bin")]
    [InlineData("..\\\\w.bin")]
    public void Should_refuse_a_shard_path_that_leaves_the_model_folder(string path)
    {
        var read = new List<string>();
        FluentActions.Invoking(() => KerasOnnxConverter.Convert(ModelJson([Weight("dense/kernel", 4, 2)], paths: new JsonArray(path)), p =>
            { read.Add(p); return new byte[32]; }))
            .Should().Throw<ModelConversionException>().WithMessage("*weight shard path*is refused*");
        read.Should().BeEmpty("nothing may be read from such a path");
    }

    [Fact]
    public void Should_refuse_more_shards_than_the_limit() =>
        FluentActions.Invoking(() => KerasOnnxConverter.Convert(ModelJson([], paths: new JsonArray(Enumerable.Range(0, 5).Select(i => (JsonNode)$"s{i}.bin")
            .ToArray())),
                Shard(0), new ArtifactLimits { MaxShards = 4 }))
            .Should().Throw<ModelConversionException>().WithMessage("*more than 4 weight shards*");

    static JsonObject Chain(int layers, bool reversed, string output = "a0")
    {
        var list = new List<JsonNode>
        {
            new JsonObject
            {
                ["class_name"] = "InputLayer", ["name"] = "in",
                ["config"] = new JsonObject { ["name"] = "in", ["batch_input_shape"] = new JsonArray(null, 4) }, ["inbound_nodes"] = new JsonArray(),
            },
        };
        for (var i = layers - 1; i >= 0; i--)
        {
            // a(layers-1) reads the input; each a(i) reads a(i+1); a0 is the output.
            var source = i == layers - 1 ? "in" : $"a{i + 1}";
            list.Add(new JsonObject
            {
                ["class_name"] = "Activation",
                ["name"] = $"a{i}",
                ["config"] = new JsonObject { ["name"] = $"a{i}", ["activation"] = "relu" },
                ["inbound_nodes"] = new JsonArray(new JsonArray(new JsonArray(source, 0, 0, new JsonObject()))),
            });
        }

        if (reversed)
            list.Reverse();
        return new JsonObject
        {
            ["class_name"] = "Functional",
            ["config"] = new JsonObject
            {
                ["name"] = "chain",
                ["layers"] = new JsonArray(list.ToArray()),
                ["input_layers"] = new JsonArray(new JsonArray("in", 0, 0)),
                ["output_layers"] = new JsonArray(new JsonArray(output, 0, 0)),
            },
        };
    }

    [Fact]
    public void Should_resolve_ten_thousand_layers_listed_in_reverse_order_in_linear_time()
    {
        var limits = new ArtifactLimits { MaxLayers = 20_000 };
        var json = Encoding.UTF8.GetBytes(new JsonObject { ["modelTopology"] = Chain(10_000, reversed: true) }.ToJsonString());

        var clock = Stopwatch.StartNew();
        var onnx = KerasOnnxConverter.Convert(json, Shard(0), limits);
        clock.Stop();

        // Quadratic resolution took 21 s here; linear takes well under one.
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(8));
        using var model = OnnxModel.Load(onnx);
        model.Predict([-1f, 2f, -3f, 4f], 1)[0].Should().Equal(0f, 2f, 0f, 4f);
    }

    [Fact]
    public void Should_refuse_more_layers_than_the_limit() =>
        FluentActions.Invoking(() => KerasOnnxConverter.Convert(Encoding.UTF8.GetBytes(new JsonObject { ["modelTopology"] = Chain(6, false) }.ToJsonString()),
            Shard(0),
                new ArtifactLimits { MaxLayers = 5 }))
            .Should().Throw<ModelConversionException>().WithMessage("*7 layers; the limit is 5*");

    [Fact]
    public void Should_name_an_output_layer_that_is_not_in_the_graph() =>
        FluentActions.Invoking(() => KerasOnnxConverter.Convert(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["modelTopology"] = Chain(3, false,
            output: "nowhere")
        }.ToJsonString()), Shard(0)))
            .Should().Throw<ModelConversionException>().WithMessage("*output layer 'nowhere' is not a layer of the model*");

    [Fact]
    public void Should_refuse_a_validation_set_of_a_hundred_thousand_classes() =>
        FluentActions.Invoking(() => ValidationSet.Parse("""{"inputShape":[1],"classes":100000,"features":[[1]],"labels":[0]}"""u8.ToArray()))
            .Should().Throw<ModelConversionException>().WithMessage("*100,000 classes; between 2 and 1,000 are accepted*");

    [Theory]
    [InlineData("""{"inputShape":[1],"features":[[1]],"labels":[2147483647]}""", "*classes*")]
    [InlineData("""{"inputShape":[1],"classes":3,"features":[[1]],"labels":[3]}""", "*label 3 of sample 0 is outside 0..2*")]
    [InlineData("""{"inputShape":[1],"classes":3,"features":[[1]],"labels":[-1]}""", "*label -1 of sample 0 is outside*")]
    [InlineData("""{"inputShape":[65536,65536],"classes":3,"features":[[1]],"labels":[1]}""", "*inputShape has more than*")]
    public void Should_refuse_labels_and_shapes_the_metrics_cannot_hold(string json, string reason) =>
        FluentActions.Invoking(() => ValidationSet.Parse(Encoding.UTF8.GetBytes(json))).Should().Throw<ModelConversionException>().WithMessage(reason);

    [Fact]
    public void Should_refuse_more_samples_than_the_limit() =>
        FluentActions.Invoking(() => ValidationSet.Parse("""{"inputShape":[1],"classes":2,"features":[[1],[0],[1]],"labels":[0,1,0]}"""u8.ToArray(),
                new ArtifactLimits { MaxValidationSamples = 2 }))
            .Should().Throw<ModelConversionException>().WithMessage("*3 samples; the limit is 2*");
}

/// <summary>ONNX files written to escape: external data, custom operators, control flow that never ends.</summary>
public class When_an_onnx_file_is_hostile
{
    static GraphProto AddBias(TensorProto bias, string domain = "")
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(OnnxFiles.Float("input", -1, 2));
        graph.Output.Add(OnnxFiles.Float("output", -1, 2));
        graph.Initializer.Add(bias);
        var node = new NodeProto { OpType = "Add", Domain = domain, Name = "add" };
        node.Input.Add("input");
        node.Input.Add("bias");
        node.Output.Add("output");
        graph.Node.Add(node);
        return graph;
    }

    static TensorProto Bias()
    {
        var bias = new TensorProto { Name = "bias", DataType = (int)TensorProto.Types.DataType.Float };
        bias.Dims.Add(2);
        bias.FloatData.Add(1f);
        bias.FloatData.Add(2f);
        return bias;
    }

    [Fact]
    public void Should_accept_a_plain_self_contained_model()
    {
        var onnx = OnnxFiles.Model(AddBias(Bias()));
        OnnxInspector.Check(onnx, ArtifactLimits.Default, allowControlFlow: false);
        using var model = OnnxModel.Load(onnx);
        model.Predict([1f, 1f], 1)[0].Should().Equal(2f, 3f);
    }

    [Fact]
    public void Should_refuse_an_initializer_kept_in_an_external_file()
    {
        var bias = new TensorProto { Name = "bias", DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        bias.Dims.Add(2);
        bias.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });

        FluentActions.Invoking(() => OnnxInspector.Check(OnnxFiles.Model(AddBias(bias)), ArtifactLimits.Default, false))
            .Should().Throw<ModelConversionException>().WithMessage("*tensor 'bias' keeps its data outside the file*");
    }

    [Fact]
    public void Should_refuse_an_operator_of_a_custom_domain() =>
        FluentActions.Invoking(() => OnnxInspector.Check(OnnxFiles.Model(AddBias(Bias(), "com.evil"), "com.evil", 1), ArtifactLimits.Default, false))
            .Should().Throw<ModelConversionException>().WithMessage("*operator domain 'com.evil'*");

    [Fact]
    public void Should_refuse_an_opset_out_of_range() =>
        FluentActions.Invoking(() => OnnxInspector.Check(OnnxFiles.Model(AddBias(Bias()), opset: 99), ArtifactLimits.Default, false))
            .Should().Throw<ModelConversionException>().WithMessage("*opset 99*");

    [Fact]
    public void Should_refuse_control_flow_unless_the_policy_allows_it() =>
        FluentActions.Invoking(() => OnnxInspector.Check(OnnxFiles.EndlessLoop(), ArtifactLimits.Default, allowControlFlow: false))
            .Should().Throw<ModelConversionException>().WithMessage("*is a Loop: control flow is refused*");

    [Fact]
    public void Should_stop_a_loop_that_never_ends_at_the_deadline()
    {
        var onnx = OnnxFiles.EndlessLoop();
        OnnxInspector.Check(onnx, ArtifactLimits.Default, allowControlFlow: true);
        using var model = OnnxModel.Load(onnx);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        using var set = new ValidationSet([2], 2, [[0f, 1f]], [1]).ToEvaluationData();

        var clock = Stopwatch.StartNew();
        FluentActions.Invoking(() => Evaluator.Evaluate(model, set, EvaluationTask.Multiclass, cancellationToken: deadline.Token))
            .Should().Throw<OperationCanceledException>();
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(900), "the loop runs until the deadline")
            .And.BeLessThan(TimeSpan.FromSeconds(30), "ONNX Runtime stops the run when the deadline passes");
    }
}
