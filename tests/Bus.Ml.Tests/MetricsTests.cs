namespace Bus.Ml.Tests;

public class When_classification_metrics_are_computed
{
    static float[] OneHot(int label, float confidence = 0.9f)
    {
        var row = Enumerable.Repeat((1 - confidence) / 2, 3).ToArray();
        row[label] = confidence;
        return row;
    }

    [Fact]
    public void Should_compute_accuracy_recall_f1_log_loss_and_the_confusion_matrix()
    {
        // true:      0  0  1  1  2  2
        // predicted: 0  1  1  1  2  0
        var predictions = new[] { OneHot(0), OneHot(1), OneHot(1), OneHot(1), OneHot(2), OneHot(0) };
        var labels = new[] { 0, 0, 1, 1, 2, 2 };

        var m = ClassificationMetrics.Compute(predictions, labels, 3);

        m.Accuracy.Should().BeApproximately(4.0 / 6, 1e-12);
        m.PerClassRecall.Should().Equal(0.5, 1.0, 0.5);
        m.ConfusionMatrix[0].Should().Equal(1, 1, 0);
        m.ConfusionMatrix[2].Should().Equal(1, 0, 1);
        // precision: class0 1/2, class1 2/3, class2 1/1 → F1: 0.5, 0.8, 0.6667
        m.MacroF1.Should().BeApproximately((0.5 + 0.8 + 2.0 / 3) / 3, 1e-9);
        m.LogLoss.Should().BeApproximately((4 * -Math.Log(0.9) + 2 * -Math.Log(0.05)) / 6, 1e-6);
        m.ToDictionary().Should().ContainKeys("accuracy", "macroF1", "logLoss", "recall_0", "recall_2");
    }

    [Fact]
    public void Should_refuse_NaN_outputs_as_a_model_problem() =>
        FluentActions.Invoking(() => ClassificationMetrics.Compute([[float.NaN, 0, 0]], [0], 3))
            .Should().Throw<ModelConversionException>().WithMessage("*non-finite*");

    [Fact]
    public void Should_refuse_a_model_with_the_wrong_number_of_classes() =>
        FluentActions.Invoking(() => ClassificationMetrics.Compute([[0.5f, 0.5f]], [0], 3))
            .Should().Throw<ModelConversionException>().WithMessage("*outputs 2 values*3 classes*");
}
