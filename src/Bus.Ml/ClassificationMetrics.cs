namespace Bus.Ml;

/// <summary>Metrics of a classifier on a labelled set.</summary>
public sealed record ClassificationMetrics(
    double Accuracy,
    double MacroF1,
    double LogLoss,
    IReadOnlyList<double> PerClassRecall,
    int[][] ConfusionMatrix,
    int SampleCount)
{
    /// <summary>Flat metric names as the promotion policy and the saga see them.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = Accuracy,
            ["macroF1"] = MacroF1,
            ["logLoss"] = LogLoss,
        };
        for (var c = 0; c < PerClassRecall.Count; c++)
            d[$"recall_{c}"] = PerClassRecall[c];
        return d;
    }

    /// <summary>Computes the metrics from predicted class probabilities (one row per sample) and true labels.</summary>
    public static ClassificationMetrics Compute(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels, int classes)
    {
        if (probabilities.Count != labels.Count)
            throw new ArgumentException($"{probabilities.Count} predictions for {labels.Count} labels");
        if (labels.Count == 0)
            throw new ArgumentException("no samples to evaluate");
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        double logLoss = 0;
        var correct = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var row = probabilities[i];
            if (row.Length != classes)
                throw new ModelConversionException($"the model outputs {row.Length} values per sample but the validation set has {classes} classes");
            if (row.Any(p => !float.IsFinite(p)))
                throw new ModelConversionException($"the model produced a non-finite output (NaN or infinity) for sample {i}");
            var label = labels[i];
            if (label < 0 || label >= classes)
                throw new ModelConversionException($"label {label} of sample {i} is outside 0..{classes - 1}");
            var predicted = ArgMax(row);
            confusion[label][predicted]++;
            if (predicted == label)
                correct++;
            logLoss -= Math.Log(Math.Clamp(row[label], 1e-15, 1 - 1e-15));
        }

        var recall = new double[classes];
        var f1 = new double[classes];
        var present = 0;
        for (var c = 0; c < classes; c++)
        {
            var truePositive = confusion[c][c];
            var actual = confusion[c].Sum();
            var predictedCount = confusion.Sum(r => r[c]);
            recall[c] = actual == 0 ? 0 : (double)truePositive / actual;
            var precision = predictedCount == 0 ? 0 : (double)truePositive / predictedCount;
            f1[c] = precision + recall[c] == 0 ? 0 : 2 * precision * recall[c] / (precision + recall[c]);
            if (actual > 0)
                present++;
        }

        var macroF1 = present == 0 ? 0 : Enumerable.Range(0, classes).Where(c => confusion[c].Sum() > 0).Sum(c => f1[c]) / present;
        return new ClassificationMetrics((double)correct / labels.Count, macroF1, logLoss / labels.Count, recall, confusion, labels.Count);
    }

    public static int ArgMax(float[] row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
                best = i;
        }

        return best;
    }
}
