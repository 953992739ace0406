namespace Bus.Ml;

/// <summary>What a model is evaluated as, and so which metrics it gets.</summary>
public static class EvaluationTask
{
    /// <summary>One softmax row per sample, labels are class indexes: accuracy, macroF1, logLoss, recall_&lt;class&gt;.</summary>
    public const string Multiclass = "multiclass";

    /// <summary>One sigmoid output (or two softmax columns), labels 0/1: accuracy, precision, recall, f1, rocAuc, prAuc, logLoss.</summary>
    public const string Binary = "binary";

    /// <summary>Real-valued outputs, as many as the targets: mae, rmse, r2, maxError.</summary>
    public const string Regression = "regression";

    public static readonly IReadOnlyList<string> All = [Multiclass, Binary, Regression];

    /// <summary>The metric a log line leads with.</summary>
    public static string Headline(string task) => task == Regression ? "rmse" : "accuracy";
}

/// <summary>
/// What an evaluation measured: the metrics by their flat names (the promotion gate's), the confusion matrix of a
/// classifier, and how many samples.
/// </summary>
public sealed record EvaluationResult(string Task, IReadOnlyDictionary<string, double> Metrics, int[][]? ConfusionMatrix, int SampleCount);
