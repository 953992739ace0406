using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Bus.Ml.Data;
using Bus.Ml.Sizing;
using Bus.Testing;
using Onnx;

namespace Bus.Ml.Tests;

/// <summary>
/// A small artifact whose layers grow a tensor past what a host can hold: each growing layer kind is refused before it
/// runs, with the layer named; evaluation batches shrink for a model near the budget; a shape chosen at run time (an
/// evaluation set's, a request's) is held to the same budget.
/// </summary>
public class When_a_model_would_grow_its_activations_past_the_budget
{
    static JsonObject Layer(string type, string name, JsonObject config)
    {
        config["name"] = name;
        return new JsonObject { ["class_name"] = type, ["config"] = config };
    }

    static JsonArray Shape(params long?[] dims) => new(dims.Select(d => d is null ? null : (JsonNode)d.Value).ToArray());

    /// <summary>A TF.js layers model.json around <paramref name="topology"/>, every weight zero, in one shard.</summary>
    static byte[] Convert(JsonObject topology, (string Name, long[] Shape)[] weights, ArtifactLimits? limits = null)
    {
        var manifest = new JsonArray(new JsonObject
        {
            ["paths"] = new JsonArray("w.bin"),
            ["weights"] = new JsonArray(weights.Select(w => (JsonNode)new JsonObject
            {
                ["name"] = w.Name,
                ["dtype"] = "float32",
                ["shape"] = new JsonArray(w.Shape.Select(d => (JsonNode)d).ToArray()),
            }).ToArray()),
        });
        var json = new JsonObject { ["modelTopology"] = topology, ["weightsManifest"] = manifest }.ToJsonString();
        var shard = new byte[weights.Sum(w => w.Shape.Aggregate(1L, (a, b) => a * b)) * 4];
        return KerasOnnxConverter.Convert(Encoding.UTF8.GetBytes(json), _ => shard, limits ?? ArtifactLimits.Default);
    }

    static JsonObject Sequential(params JsonObject[] layers) =>
        new() { ["class_name"] = "Sequential", ["config"] = new JsonObject { ["name"] = "m", ["layers"] = new JsonArray(layers) } };

    [Fact]
    public void Should_refuse_two_upsamplings_that_ask_for_a_hundred_million_values_per_sample() =>
        FluentActions.Invoking(() => Convert(Sequential(
                Layer("UpSampling2D", "up64", new JsonObject { ["size"] = Shape(64, 64), ["batch_input_shape"] = Shape(null, 8, 8, 1) }),
                Layer("UpSampling2D", "up20", new JsonObject { ["size"] = Shape(20, 20) })), []))
            .Should().Throw<ModelConversionException>()
            .WithMessage("the model: the tensor of Resize '*' (output *, shape [1,10240,10240,1]) holds 104,857,600 values per sample (400 MiB); the " +
                "activation budget is 256 MiB (Bus:Evaluation:Limits:MaxActivationBytes)");

    [Fact]
    public void Should_refuse_a_transposed_convolution_that_grows_an_8x8_image_to_512x512x1024() =>
        FluentActions.Invoking(() => Convert(Sequential(
                Layer("Conv2DTranspose", "t", new JsonObject
                {
                    ["filters"] = 1024,
                    ["kernel_size"] = Shape(3, 3),
                    ["strides"] = Shape(64, 64),
                    ["padding"] = "same",
                    ["use_bias"] = false,
                    ["activation"] = "linear",
                    ["batch_input_shape"] = Shape(null, 8, 8, 1),
                })), [("t/kernel", [3, 3, 1024, 1])]))
            .Should().Throw<ModelConversionException>().WithMessage("*ConvTranspose*shape [1,1024,512,512]*activation budget is 256 MiB*");

    [Fact]
    public void Should_refuse_a_repeat_vector_of_sixty_five_thousand() =>
        FluentActions.Invoking(() => Convert(Sequential(
                Layer("RepeatVector", "r", new JsonObject { ["n"] = 65_536, ["batch_input_shape"] = Shape(null, 4096) })), []))
            .Should().Throw<ModelConversionException>().WithMessage("*Tile*shape [1,65536,4096]*268,435,456 values per sample*");

    [Fact]
    public void Should_refuse_a_dense_layer_over_every_step_of_a_long_sequence() =>
        FluentActions.Invoking(() => Convert(Sequential(
                Layer("Dense", "d", new JsonObject
                {
                    ["units"] = 4096,
                    ["use_bias"] = false,
                    ["activation"] = "linear",
                    ["batch_input_shape"] = Shape(null, 65_536, 1),
                })), [("d/kernel", [1, 4096])]))
            .Should().Throw<ModelConversionException>().WithMessage("*MatMul*shape [1,65536,4096]*activation budget*");

    [Fact]
    public void Should_refuse_a_concatenation_of_a_large_input_with_itself()
    {
        var topology = new JsonObject
        {
            ["class_name"] = "Model",
            ["config"] = new JsonObject
            {
                ["name"] = "m",
                ["layers"] = new JsonArray(
                    new JsonObject
                    {
                        ["class_name"] = "InputLayer",
                        ["name"] = "in",
                        ["inbound_nodes"] = new JsonArray(),
                        ["config"] = new JsonObject { ["name"] = "in", ["batch_input_shape"] = Shape(null, 40_000_000) },
                    },
                    new JsonObject
                    {
                        ["class_name"] = "Concatenate",
                        ["name"] = "cat",
                        ["config"] = new JsonObject { ["name"] = "cat", ["axis"] = -1 },
                        ["inbound_nodes"] = new JsonArray(new JsonArray(
                            new JsonArray("in", 0, 0, new JsonObject()), new JsonArray("in", 0, 0, new JsonObject()))),
                    }),
                ["input_layers"] = new JsonArray(new JsonArray("in", 0, 0)),
                ["output_layers"] = new JsonArray(new JsonArray("cat", 0, 0)),
            },
        };

        FluentActions.Invoking(() => Convert(topology, [])).Should().Throw<ModelConversionException>()
            .WithMessage("*Concat*shape [1,80000000]*80,000,000 values per sample*");
    }

    [Fact]
    public void Should_take_a_budget_from_the_limits()
    {
        static JsonObject Layers() =>
            Sequential(Layer("UpSampling2D", "up", new JsonObject { ["size"] = Shape(16, 16), ["batch_input_shape"] = Shape(null, 8, 8, 4) }));

        Convert(Layers(), []).Should().NotBeEmpty("128x128x4 is 256 KiB per sample, well within the default");
        FluentActions.Invoking(() => Convert(Layers(), [], new ArtifactLimits { MaxActivationBytes = 128 * 1024 }))
            .Should().Throw<ModelConversionException>().WithMessage("*activation budget is 0.1 MiB*");
    }

    static byte[] Dense4To1000() => Convert(Sequential(Layer("Dense", "d", new JsonObject
    {
        ["units"] = 1000,
        ["activation"] = "linear",
        ["batch_input_shape"] = Shape(null, 4),
    })), [("d/kernel", [4, 1000]), ("d/bias", [1000])]);

    [Fact]
    public void Should_count_the_largest_tensor_and_the_peak_of_one_operator()
    {
        using var model = OnnxModel.Load(Dense4To1000());

        var estimate = model.Activations([4]);

        estimate.Largest.Should().Be(1000);
        estimate.Peak.Should().Be(2000, "the bias Add reads the 1000 values of the MatMul and writes 1000 (the bias is a weight, not an activation)");
        estimate.OutputElements.Should().Be(1000);
        estimate.BatchSize(64, new ActivationBudget(1024 * 1024, "test"), "m").Should().Be(64);
        estimate.BatchSize(64, new ActivationBudget(256 * 1024, "test"), "m").Should().Be(32, "256 KiB holds 32 samples of 8,000 bytes");
    }

    [Fact]
    public void Should_evaluate_a_model_near_the_budget_in_smaller_batches_with_the_same_result()
    {
        using var model = OnnxModel.Load(Dense4To1000());
        var random = new Random(7);
        var features = Enumerable.Range(0, 100).Select(_ => new JsonArray(Enumerable.Range(0, 4).Select(_ => (JsonNode)random.NextDouble()).ToArray()));
        var set = JsonEvaluationData.Parse(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["inputShape"] = Shape(4),
            ["features"] = new JsonArray(features.ToArray<JsonNode>()),
            ["labels"] = new JsonArray(Enumerable.Range(0, 100).Select(i => (JsonNode)(i % 1000)).ToArray()),
        }.ToJsonString()), ArtifactLimits.Default);
        // The evaluate spans of this test only (others run beside it): the children of its own activity.
        using var test = new Activity("budget-test").Start();
        var batches = new List<object?>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Bus.Ml",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Parent == test && activity.OperationName == "evaluate")
                    batches.Add(activity.GetTagItem("bus.batch_size"));
            },
        };
        ActivitySource.AddActivityListener(listener);

        var full = Evaluator.Evaluate(model, set, EvaluationTask.Multiclass);
        var small = Evaluator.Evaluate(model, set, EvaluationTask.Multiclass, limits: new ArtifactLimits { MaxActivationBytes = 256 * 1024 });

        batches.Should().Equal(64, 32);
        small.Metrics.Should().BeEquivalentTo(full.Metrics);
    }

    /// <summary>A fully convolutional regressor: any height and width, 64 channels, pooled to one number.</summary>
    static byte[] OpenConvolution() => Convert(Sequential(
        Layer("Conv2D", "c", new JsonObject
        {
            ["filters"] = 64,
            ["kernel_size"] = Shape(3, 3),
            ["padding"] = "same",
            ["activation"] = "relu",
            ["batch_input_shape"] = Shape(null, null, null, 1),
        }),
        Layer("GlobalAveragePooling2D", "g", []),
        Layer("Dense", "d", new JsonObject { ["units"] = 1, ["activation"] = "linear" })),
        [("c/kernel", [3, 3, 1, 64]), ("c/bias", [64]), ("d/kernel", [64, 1]), ("d/bias", [1])]);

    [Fact]
    public void Should_hold_an_open_input_to_the_budget_at_the_shape_the_evaluation_set_gives()
    {
        using var model = OnnxModel.Load(OpenConvolution());
        var limits = new ArtifactLimits { MaxActivationBytes = 1024 * 1024 };
        EvaluationData Set(int side) => JsonEvaluationData.Parse(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["inputShape"] = Shape(side, side, 1),
            ["features"] = new JsonArray(new JsonArray(Enumerable.Repeat(0.5, side * side).Select(v => (JsonNode)v).ToArray())),
            ["labels"] = new JsonArray(0),
        }.ToJsonString()), limits);

        Evaluator.Evaluate(model, Set(8), EvaluationTask.Regression, limits: limits).SampleCount.Should().Be(1);
        FluentActions.Invoking(() => Evaluator.Evaluate(model, Set(64), EvaluationTask.Regression, limits: limits))
            .Should().Throw<ModelConversionException>().WithMessage(
                "the model at a sample of [64,64,1]: * works on 524,288 values at once per sample (2 MiB); the activation budget is 1 MiB*");
    }

    [Fact]
    public void Should_hold_a_requested_shape_and_its_instances_to_the_serving_budget()
    {
        using var model = OnnxModel.Load(OpenConvolution());
        var budget = new ActivationBudget(4 * 1024 * 1024, "Bus:Security:Predict:MaxActivationBytes");

        model.Activations([16, 16, 1]).CheckBatch(8, budget, "m");
        FluentActions.Invoking(() => model.Activations([16, 16, 1]).CheckBatch(256, budget, "m"))
            .Should().Throw<ModelConversionException>().WithMessage("m: 256 samples need about 32 MiB at Transpose*which holds 32 at a time");
        FluentActions.Invoking(() => model.Activations([512, 512, 1]).CheckBatch(1, budget, "m"))
            .Should().Throw<ModelConversionException>().WithMessage("*Bus:Security:Predict:MaxActivationBytes*");
    }

    static GraphProto Graph(NodeProto node, params TensorProto[] initializers)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(OnnxFiles.Float("input", -1, 1000));
        graph.Output.Add(OnnxFiles.Float("output", -1, -1));
        graph.Initializer.AddRange(initializers);
        node.Input.Insert(0, "input");
        node.Output.Add("output");
        graph.Node.Add(node);
        return graph;
    }

    [Fact]
    public void Should_refuse_an_onnx_file_whose_tile_asks_for_a_billion_values()
    {
        var repeats = new TensorProto { Name = "repeats", DataType = (int)TensorProto.Types.DataType.Int64 };
        repeats.Dims.Add(2);
        repeats.Int64Data.AddRange([1, 1_000_000]);
        var tile = new NodeProto { OpType = "Tile", Name = "tile" };
        tile.Input.Add("repeats");

        FluentActions.Invoking(() => OnnxInspector.Check(OnnxFiles.Model(Graph(tile, repeats)), ArtifactLimits.Default, allowControlFlow: false))
            .Should().Throw<ModelConversionException>().WithMessage("the ONNX model: the tensor of Tile 'tile'*1,000,000,000 values per sample*");
    }

    [Fact]
    public void Should_refuse_an_onnx_operator_it_cannot_size_unless_the_policy_trusts_the_model()
    {
        var onnx = OnnxFiles.Model(Graph(new NodeProto { OpType = "NonZero", Name = "nz" }));

        FluentActions.Invoking(() => OnnxInspector.Check(onnx, ArtifactLimits.Default, allowControlFlow: false))
            .Should().Throw<ModelConversionException>().WithMessage("*cannot be sized ahead: operator NonZero (node nz) has no sizing rule*AllowControlFlow*");
        OnnxInspector.Check(onnx, ArtifactLimits.Default, allowControlFlow: true);
    }
}
