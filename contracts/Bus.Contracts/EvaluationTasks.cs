namespace Bus.Contracts;

/// <summary>The <c>task</c> a training-complete announcement (or the evaluator's policy) may name: which metrics a model gets.</summary>
public static class EvaluationTasks
{
    /// <summary>One softmax row per sample, labels are class indexes: accuracy, macroF1, logLoss, recall_&lt;class&gt;.</summary>
    public const string Multiclass = "multiclass";

    /// <summary>One sigmoid output (or two softmax columns), labels 0/1: accuracy, precision, recall, f1, rocAuc, prAuc, logLoss.</summary>
    public const string Binary = "binary";

    /// <summary>Real-valued outputs, as many as the targets: mae, rmse, r2, maxError.</summary>
    public const string Regression = "regression";

    public static readonly IReadOnlyList<string> All = [Multiclass, Binary, Regression];
}
