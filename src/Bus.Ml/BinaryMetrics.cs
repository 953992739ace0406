namespace Bus.Ml;

/// <summary>
/// A binary classifier's metrics from its scores (the probability of class 1) and 0/1 labels: accuracy, precision,
/// recall and F1 at <c>threshold</c>, ROC AUC (the probability that a positive outscores a negative, ties counted
/// half), PR AUC (average precision: precision at each positive, in falling score order, averaged over positives)
/// and log loss.
/// </summary>
public sealed class BinaryMetrics(double threshold) : ITaskMetrics
{
    readonly List<(float Score, bool Positive)> _samples = [];

    /// <summary>
    /// A model's output row and a 0/1 label: the probability of class 1 is its one sigmoid output, or the second of two
    /// softmax columns.
    /// </summary>
    void ITaskMetrics.Add(float[] row, ReadOnlySpan<float> target, long sample)
    {
        var score = row.Length switch
        {
            1 => row[0],
            2 => row[1],
            _ => throw new ModelConversionException($"a binary classifier outputs 1 value (a sigmoid) or 2 (a softmax); this model outputs " +
                $"{row.Length} (sample {sample})"),
        };
        var positive = target is [0f] ? false : target is [1f] ? true
            : throw new ModelConversionException($"label of sample {sample} is not 0 or 1 ({string.Join(",", target.ToArray().Take(4))})");
        Add(score, positive, sample);
    }

    public void Add(float score, bool positive, long sample)
    {
        if (!float.IsFinite(score))
            throw new ModelConversionException($"the model produced a non-finite output (NaN or infinity) for sample {sample}");
        if (score is < 0 or > 1)
            throw new ModelConversionException($"the model's output for sample {sample} is {score}, not a probability (a binary model ends in a sigmoid)");
        _samples.Add((score, positive));
    }

    public EvaluationResult Result()
    {
        var n = _samples.Count;
        if (n == 0)
            throw new ModelConversionException("no samples to evaluate");
        int tp = 0, fp = 0, tn = 0, fn = 0;
        double logLoss = 0;
        foreach (var (score, positive) in _samples)
        {
            var predicted = score >= threshold;
            (tp, fp, tn, fn) = (predicted, positive) switch
            {
                (true, true) => (tp + 1, fp, tn, fn),
                (true, false) => (tp, fp + 1, tn, fn),
                (false, false) => (tp, fp, tn + 1, fn),
                _ => (tp, fp, tn, fn + 1),
            };
            var p = Math.Clamp(score, 1e-15, 1 - 1e-15);
            logLoss -= positive ? Math.Log(p) : Math.Log(1 - p);
        }

        var precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
        var recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = (double)(tp + tn) / n,
            ["precision"] = precision,
            ["recall"] = recall,
            ["f1"] = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall),
            ["logLoss"] = logLoss / n,
        };
        var positives = tp + fn;
        if (positives > 0 && positives < n)
        {
            metrics["rocAuc"] = RocAuc(positives, n - positives);
            metrics["prAuc"] = AveragePrecision(positives);
        }

        // Rows: true class 0, 1; columns: predicted.
        return new EvaluationResult(EvaluationTask.Binary, metrics, [[tn, fp], [fn, tp]], n);
    }

    /// <summary>Mann–Whitney: the sum of the positives' ranks (tied scores share their mean rank), normalised.</summary>
    double RocAuc(int positives, int negatives)
    {
        var sorted = _samples.OrderBy(s => s.Score).ToList();
        double rankSum = 0;
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j < sorted.Count && sorted[j].Score == sorted[i].Score)
                j++;
            var meanRank = (i + 1 + j) / 2.0;
            for (var k = i; k < j; k++)
            {
                if (sorted[k].Positive)
                    rankSum += meanRank;
            }

            i = j;
        }

        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>Average precision over thresholds at each distinct score, highest first (scikit-learn's definition).</summary>
    double AveragePrecision(int positives)
    {
        var sorted = _samples.OrderByDescending(s => s.Score).ToList();
        int tp = 0, seen = 0;
        double ap = 0, lastRecall = 0;
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j < sorted.Count && sorted[j].Score == sorted[i].Score)
            {
                if (sorted[j].Positive)
                    tp++;
                j++;
            }

            seen = j;
            var recall = (double)tp / positives;
            ap += (recall - lastRecall) * tp / seen;
            lastRecall = recall;
            i = j;
        }

        return ap;
    }
}
