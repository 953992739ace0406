using System.Text.Json;

namespace Bus.Ml.Tests;

/// <summary>TF.js's own outputs on fixed inputs (reference.json written by tools/export-test-models.mjs), and a converted model's distance from them.</summary>
static class TfjsReference
{
    /// <summary>The largest absolute difference between the model's outputs and TF.js's on the reference inputs, in their shape.</summary>
    public static float WorstDifference(byte[] onnx, string referencePath)
    {
        using var reference = JsonDocument.Parse(File.ReadAllText(referencePath));
        var root = reference.RootElement;
        var inputs = root.GetProperty("inputs").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var expected = root.GetProperty("outputs").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var shape = root.GetProperty("inputShape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var batch = root.GetProperty("batch").GetInt32();
        expected.Distinct().Count().Should().BeGreaterThan(batch, "the reference outputs must not be trivial");

        using var model = OnnxModel.Load(onnx);
        var actual = model.Predict(inputs, batch, shape, CancellationToken.None).SelectMany(r => r).ToArray();
        actual.Should().HaveCount(expected.Length);
        // The activation estimate follows every tensor's shape through the graph: where it ends is ONNX Runtime's output.
        model.Activations(shape).OutputElements.Should().Be(actual.Length / batch, "the activation estimate's shapes are ONNX Runtime's");
        return actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
    }
}
