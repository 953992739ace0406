using System.Text.Json;
using Bus.Ml.Data;

namespace Bus.Ml.Tests;

/// <summary>
/// Evaluation sets in TFRecord, .npz, CSV and JSON (written by tools/datasets.mjs for a model trained by
/// tools/tabular-job.mjs) give the same metrics for the same model, and those metrics agree with ones computed here
/// from TF.js's own predictions.
/// </summary>
[Collection(ExportedModelsCollection.Name)]
public class When_a_model_is_evaluated_on_sets_of_each_format(ExportedModels models)
{
    static readonly string[] Files = ["validation.json", "validation.tfrecord", "validation.npz", "validation.csv"];

    EvaluationResult Evaluate(string task, string file, DataFeatures? features = null, ArtifactLimits? limits = null)
    {
        var directory = models.Tabular(task);
        using var model = OnnxModel.Load(KerasOnnxConverter.ConvertFile("keras", File.ReadAllBytes(Path.Combine(directory, "model.keras")),
            ArtifactLimits.Default));
        var path = Path.Combine(directory, file);
        using var data = EvaluationData.Open(EvaluationData.FormatOf(path)!, path, features ?? DataFeatures.Default, limits ?? ArtifactLimits.Default);
        return Evaluator.Evaluate(model, data, task, batchSize: 37);
    }

    (float[] Predictions, float[] Targets) Reference(string task)
    {
        var directory = models.Tabular(task);
        var predictions = JsonSerializer.Deserialize<float[]>(File.ReadAllText(Path.Combine(directory, "predictions.json")))!;
        using var set = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "validation.json")));
        return (predictions, set.RootElement.GetProperty("labels").EnumerateArray().Select(v => v.GetSingle()).ToArray());
    }

    [Theory]
    [InlineData("regression")]
    [InlineData("binary")]
    public void Should_give_the_same_metrics_whatever_the_format(string task)
    {
        var results = Files.Select(file => Evaluate(task, file)).ToList();

        results.Should().AllSatisfy(r => r.SampleCount.Should().Be(400));
        foreach (var result in results.Skip(1))
            result.Metrics.Should().BeEquivalentTo(results[0].Metrics, o => o.Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-9))
                .WhenTypeIs<double>());
        results[0].Metrics.Keys.Should().BeEquivalentTo(task == "regression"
            ? ["mae", "rmse", "r2", "maxError"]
            : new[] { "accuracy", "precision", "recall", "f1", "rocAuc", "prAuc", "logLoss" });
    }

    [Fact]
    public void Should_measure_regression_as_TFjs_predictions_say()
    {
        var (predictions, targets) = Reference("regression");
        var errors = predictions.Zip(targets, (p, t) => (double)p - t).ToArray();

        var metrics = Evaluate("regression", "validation.tfrecord").Metrics;

        metrics["rmse"].Should().BeApproximately(Math.Sqrt(errors.Average(e => e * e)), 1e-4);
        metrics["mae"].Should().BeApproximately(errors.Average(Math.Abs), 1e-4);
        metrics["maxError"].Should().BeApproximately(errors.Max(Math.Abs), 1e-4);
        var mean = targets.Average();
        metrics["r2"].Should().BeApproximately(1 - errors.Sum(e => e * e) / targets.Sum(t => (t - mean) * (t - mean)), 1e-4);
        metrics["r2"].Should().BeGreaterThan(0.9, "the job trains a model that fits");
    }

    [Fact]
    public void Should_measure_ROC_AUC_as_the_fraction_of_positive_negative_pairs_ordered_right()
    {
        var (scores, labels) = Reference("binary");
        var positives = scores.Where((_, i) => labels[i] == 1).ToArray();
        var negatives = scores.Where((_, i) => labels[i] == 0).ToArray();
        var pairs = positives.Sum(p => negatives.Sum(n => p > n ? 1.0 : p == n ? 0.5 : 0));

        var metrics = Evaluate("binary", "validation.tfrecord").Metrics;

        metrics["rocAuc"].Should().BeApproximately(pairs / (positives.Length * (double)negatives.Length), 1e-3);
        metrics["accuracy"].Should().BeApproximately(scores.Where((s, i) => (s >= 0.5 ? 1 : 0) == labels[i]).Count() / (double)scores.Length, 1e-9);
    }

    [Fact]
    public void Should_compute_binary_metrics_on_a_known_example()
    {
        // scikit-learn's documented example: roc_auc_score 0.75, average_precision_score 0.8333.
        var metrics = new BinaryMetrics(0.5);
        foreach (var (score, label) in new[] { (0.1f, false), (0.4f, false), (0.35f, true), (0.8f, true) })
            metrics.Add(score, label, 0);

        var result = metrics.Result();

        result.Metrics["rocAuc"].Should().BeApproximately(0.75, 1e-12);
        result.Metrics["prAuc"].Should().BeApproximately(5.0 / 6, 1e-12);
        result.Metrics["precision"].Should().Be(1);
        result.Metrics["recall"].Should().Be(0.5);
        result.ConfusionMatrix.Should().BeEquivalentTo(new[] { new[] { 2, 0 }, new[] { 1, 1 } }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Should_compute_regression_metrics_on_a_known_example()
    {
        var metrics = new RegressionMetrics();
        metrics.Add([1f], [1f], 0);
        metrics.Add([2f], [1f], 1);
        metrics.Add([3f], [5f], 2);

        var result = metrics.Result().Metrics;

        result["mae"].Should().BeApproximately(1, 1e-12);
        result["rmse"].Should().BeApproximately(Math.Sqrt(5.0 / 3), 1e-12);
        result["maxError"].Should().Be(2);
        result["r2"].Should().BeApproximately(1 - 5 / (96.0 / 9), 1e-12);
    }

    /// <summary>A changed copy of one of the task's files (named with <paramref name="extension"/>, else the file's own); its path.</summary>
    string Copy(string task, string file, Func<byte[], byte[]> change, string? extension = null)
    {
        var path = Path.Combine(models.Directory, $"{Guid.NewGuid():N}{extension ?? Path.GetExtension(file)}");
        File.WriteAllBytes(path, change(File.ReadAllBytes(Path.Combine(models.Tabular(task), file))));
        return path;
    }

    [Fact]
    public void Should_refuse_a_TFRecord_whose_data_CRC_does_not_match()
    {
        var path = Copy("regression", "validation.tfrecord", bytes =>
        {
            bytes[bytes.Length / 2] ^= 0x01;
            return bytes;
        });

        FluentActions.Invoking(() => Evaluate("regression", path)).Should().Throw<ModelConversionException>()
            .WithMessage("TFRecord record * CRC does not match*");
    }

    [Fact]
    public void Should_refuse_a_truncated_TFRecord() =>
        FluentActions.Invoking(() => Evaluate("regression", Copy("regression", "validation.tfrecord", b => b[..^7])))
            .Should().Throw<ModelConversionException>().WithMessage("*ends inside the record (truncated)*");

    [Fact]
    public void Should_refuse_a_file_that_is_not_a_TFRecord() =>
        FluentActions.Invoking(() => Evaluate("regression", Copy("regression", "validation.csv", b => b, ".tfrecord")))
            .Should().Throw<ModelConversionException>().WithMessage("*length's CRC does not match (not a TFRecord file*");

    [Fact]
    public void Should_name_a_feature_the_records_lack() =>
        FluentActions.Invoking(() => Evaluate("regression", "validation.tfrecord", new DataFeatures("pixels", "y")))
            .Should().Throw<ModelConversionException>().WithMessage("TFRecord record 0 has no feature 'pixels'*");

    [Fact]
    public void Should_name_an_array_the_npz_lacks() =>
        FluentActions.Invoking(() => Evaluate("regression", "validation.npz", new DataFeatures("x", "target")))
            .Should().Throw<ModelConversionException>().WithMessage("the .npz has no array 'target'*");

    [Fact]
    public void Should_name_a_label_column_the_CSV_lacks() =>
        FluentActions.Invoking(() => Evaluate("regression", "validation.csv", new DataFeatures("x", "price")))
            .Should().Throw<ModelConversionException>().WithMessage("the CSV header has no column 'price'*");

    [Fact]
    public void Should_say_which_CSV_cell_is_not_a_number()
    {
        var path = Copy("regression", "validation.csv", bytes =>
        {
            var lines = System.Text.Encoding.UTF8.GetString(bytes).Split('\n');
            lines[3] = "oops," + lines[3][(lines[3].IndexOf(',') + 1)..];
            return System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines));
        });

        FluentActions.Invoking(() => Evaluate("regression", path)).Should().Throw<ModelConversionException>()
            .WithMessage("CSV line 4, column 'f0': 'oops' is not a number");
    }

    [Fact]
    public void Should_refuse_an_endless_CSV_line_before_holding_it()
    {
        var path = Path.Combine(models.Directory, "endless.csv");
        using (var writer = new StreamWriter(path))
        {
            writer.Write("f0,y\n");
            writer.Write(new string('7', 17 * 1024 * 1024));
        }

        FluentActions.Invoking(() => Evaluate("regression", path)).Should().Throw<ModelConversionException>()
            .WithMessage("CSV line 2 is longer than 16,777,216 characters");
    }

    [Fact]
    public void Should_stop_at_the_sample_limit_of_a_streamed_set() =>
        FluentActions.Invoking(() => Evaluate("regression", "validation.tfrecord", limits: new ArtifactLimits { MaxValidationSamples = 100 }))
            .Should().Throw<ModelConversionException>().WithMessage("*more than 100 samples (the limit)*");

    [Fact]
    public void Should_refuse_binary_labels_other_than_0_and_1()
    {
        // The binary classifier on the regression set, whose labels are real numbers.
        using var model = OnnxModel.Load(KerasOnnxConverter.ConvertFile("keras", File.ReadAllBytes(Path.Combine(models.Tabular("binary"), "model.keras")),
            ArtifactLimits.Default));
        var path = Path.Combine(models.Tabular("regression"), "validation.csv");
        using var data = EvaluationData.Open(EvaluationData.Csv, path, DataFeatures.Default, ArtifactLimits.Default);

        FluentActions.Invoking(() => Evaluator.Evaluate(model, data, EvaluationTask.Binary)).Should().Throw<ModelConversionException>()
            .WithMessage("label of sample * is not 0 or 1*");
    }
}

/// <summary>Damaged evaluation sets (bytes flipped or cut anywhere) fail with a conversion error, never another exception.</summary>
[Collection(ExportedModelsCollection.Name)]
public class When_an_evaluation_set_is_damaged(ExportedModels models)
{
    [Theory]
    [InlineData("validation.tfrecord")]
    [InlineData("validation.npz")]
    [InlineData("validation.csv")]
    [InlineData("validation.json")]
    public void Should_fail_every_damaged_copy_with_a_conversion_error(string file)
    {
        var directory = models.Tabular("regression");
        using var model = OnnxModel.Load(KerasOnnxConverter.ConvertFile("keras", File.ReadAllBytes(Path.Combine(directory, "model.keras")),
            ArtifactLimits.Default));
        var original = File.ReadAllBytes(Path.Combine(directory, file));
        var path = Path.Combine(models.Directory, "damaged" + Path.GetExtension(file));
        var refused = 0;
        foreach (var bytes in Damage.Copies(original, 1204, 60))
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                using var data = EvaluationData.Open(EvaluationData.FormatOf(path)!, path, DataFeatures.Default, ArtifactLimits.Default);
                Evaluator.Evaluate(model, data, EvaluationTask.Regression);
            }
            catch (ModelConversionException)
            {
                refused++;
            }
        }

        refused.Should().BeGreaterThan(0, "damage is noticed");
    }
}
