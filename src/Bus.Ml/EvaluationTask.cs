using Bus.Contracts;

namespace Bus.Ml;

/// <summary>What a model is evaluated as (the names are <see cref="EvaluationTasks"/>'), and so which metrics it gets.</summary>
public static class EvaluationTask
{
    public const string Multiclass = EvaluationTasks.Multiclass;

    public const string Binary = EvaluationTasks.Binary;

    public const string Regression = EvaluationTasks.Regression;

    public static IReadOnlyList<string> All => EvaluationTasks.All;

    /// <summary>The metric a log line leads with.</summary>
    public static string Headline(string task) => task == Regression ? "rmse" : "accuracy";
}

/// <summary>
/// What an evaluation measured: the metrics by their flat names (the promotion gate's), the confusion matrix of a
/// classifier, and how many samples.
/// </summary>
public sealed record EvaluationResult(string Task, IReadOnlyDictionary<string, double> Metrics, int[][]? ConfusionMatrix, int SampleCount);
