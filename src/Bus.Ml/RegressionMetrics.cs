namespace Bus.Ml;

/// <summary>
/// A regression model's metrics, accumulated sample by sample over every output: mean absolute error, root mean
/// squared error, R² (1 − residual sum of squares / total sum of squares about the targets' mean) and the largest
/// absolute error.
/// </summary>
public sealed class RegressionMetrics : ITaskMetrics
{
    long _count;
    int _samples;
    double _absolute, _squared, _sum, _sumOfSquares, _max;

    void ITaskMetrics.Add(float[] row, ReadOnlySpan<float> target, long sample) => Add(row, target, sample);

    public void Add(ReadOnlySpan<float> predicted, ReadOnlySpan<float> target, long sample)
    {
        if (predicted.Length != target.Length)
            throw new ModelConversionException($"the model outputs {predicted.Length} values per sample but the evaluation set has {target.Length} " +
                "targets");
        for (var i = 0; i < predicted.Length; i++)
        {
            if (!float.IsFinite(predicted[i]))
                throw new ModelConversionException($"the model produced a non-finite output (NaN or infinity) for sample {sample}");
            if (!float.IsFinite(target[i]))
                throw new ModelConversionException($"the target of sample {sample} is not a finite number");
            var error = (double)predicted[i] - target[i];
            _absolute += Math.Abs(error);
            _squared += error * error;
            _max = Math.Max(_max, Math.Abs(error));
            _sum += target[i];
            _sumOfSquares += (double)target[i] * target[i];
            _count++;
        }

        _samples++;
    }

    public EvaluationResult Result()
    {
        if (_count == 0)
            throw new ModelConversionException("no samples to evaluate");
        var total = _sumOfSquares - _sum * _sum / _count;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["mae"] = _absolute / _count,
            ["rmse"] = Math.Sqrt(_squared / _count),
            ["maxError"] = _max,
        };
        if (total > 0)
            metrics["r2"] = 1 - _squared / total;
        return new EvaluationResult(EvaluationTask.Regression, metrics, null, _samples);
    }
}
