using Bus.Ml.Data;

namespace Bus.Ml;

/// <summary>A labelled set in Bus's JSON shape: <c>{ "inputShape": [8,8,1], "classes": 10, "features": [[...]], "labels": [...] }</c>.</summary>
public sealed record ValidationSet(int[] InputShape, int Classes, float[][] Features, int[] Labels)
{
    public int SampleSize => InputShape.Aggregate(1, (a, b) => a * b);

    public static ValidationSet Parse(byte[] json) => Parse(json, ArtifactLimits.Default);

    /// <summary>
    /// Reads and checks a classification set: sizes against <paramref name="limits"/> before anything is allocated,
    /// every label in 0..classes-1.
    /// </summary>
    public static ValidationSet Parse(byte[] json, ArtifactLimits limits)
    {
        var data = JsonEvaluationData.Parse(json, limits);
        var labels = new int[data.Targets.Length];
        for (var i = 0; i < labels.Length; i++)
            labels[i] = ClassOf(data.Targets[i], i);
        var classes = data.Classes ?? (labels.Max() >= limits.MaxClasses ? limits.MaxClasses + 1 : labels.Max() + 1);
        if (classes < 2 || classes > limits.MaxClasses)
            throw new ModelConversionException($"the validation set has {classes:N0} classes; between 2 and {limits.MaxClasses:N0} are accepted");
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0 || labels[i] >= classes)
                throw new ModelConversionException($"label {labels[i]} of sample {i} is outside 0..{classes - 1}");
        }

        return new ValidationSet(data.InputShape, classes, data.Features, labels);
    }

    /// <summary>The set as the evaluator reads every set: labels as one-value targets, the classes declared.</summary>
    public JsonEvaluationData ToEvaluationData() => new(InputShape, Classes, Features, Labels.Select(l => new[] { (float)l }).ToArray());

    /// <summary>A class label: one whole number (within int range, so that range checks can name it).</summary>
    public static int ClassOf(ReadOnlySpan<float> target, long sample)
    {
        if (target.Length != 1 || target[0] != MathF.Round(target[0]) || !float.IsFinite(target[0]) || Math.Abs(target[0]) > int.MaxValue / 2)
            throw new ModelConversionException($"label of sample {sample} is not a class index ({string.Join(",", target.ToArray().Take(4))}; classes are " +
                "whole numbers 0, 1, …)");
        return (int)target[0];
    }
}
