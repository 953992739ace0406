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
        var accumulator = new Accumulator(classes);
        for (var i = 0; i < labels.Count; i++)
            accumulator.Add(probabilities[i], labels[i], i);
        return accumulator.Result();
    }

    /// <summary>As <see cref="ToDictionary"/>, with the confusion matrix, for the task-independent result.</summary>
    public EvaluationResult ToResult() => new(EvaluationTask.Multiclass, ToDictionary(), ConfusionMatrix, SampleCount);

    /// <summary>The metrics accumulated a sample at a time (the confusion matrix and the summed log loss), for streamed sets.</summary>
    public sealed class Accumulator(int classes)
    {
        readonly int[][] _confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        double _logLoss;
        int _correct, _count;

        /// <summary>Optimised from its first call: an evaluation is over before the runtime's tiering would get to it.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void Add(float[] row, int label, long sample)
        {
            if (row.Length != classes)
                throw new ModelConversionException($"the model outputs {row.Length} values per sample but the validation set has {classes} classes");
            foreach (var p in row)
            {
                if (!float.IsFinite(p))
                    throw new ModelConversionException($"the model produced a non-finite output (NaN or infinity) for sample {sample}");
            }

            if (label < 0 || label >= classes)
                throw new ModelConversionException($"label {label} of sample {sample} is outside 0..{classes - 1}");
            var predicted = ArgMax(row);
            _confusion[label][predicted]++;
            if (predicted == label)
                _correct++;
            _logLoss -= Math.Log(Math.Clamp(row[label], 1e-15, 1 - 1e-15));
            _count++;
        }

        public ClassificationMetrics Result()
        {
            if (_count == 0)
                throw new ModelConversionException("no samples to evaluate");
            var recall = new double[classes];
            var f1 = new double[classes];
            var present = 0;
            for (var c = 0; c < classes; c++)
            {
                var truePositive = _confusion[c][c];
                var actual = _confusion[c].Sum();
                var predictedCount = _confusion.Sum(r => r[c]);
                recall[c] = actual == 0 ? 0 : (double)truePositive / actual;
                var precision = predictedCount == 0 ? 0 : (double)truePositive / predictedCount;
                f1[c] = precision + recall[c] == 0 ? 0 : 2 * precision * recall[c] / (precision + recall[c]);
                if (actual > 0)
                    present++;
            }

            var macroF1 = present == 0 ? 0 : Enumerable.Range(0, classes).Where(c => _confusion[c].Sum() > 0).Sum(c => f1[c]) / present;
            return new ClassificationMetrics((double)_correct / _count, macroF1, _logLoss / _count, recall, _confusion, _count);
        }
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
