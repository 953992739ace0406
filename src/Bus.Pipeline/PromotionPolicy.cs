using System.Globalization;
using Bus.Contracts;

namespace Bus.Pipeline;

/// <summary>The promotion gate: pure, deterministic, no I/O.</summary>
public sealed class PromotionPolicy(PromotionPolicyOptions options)
{
    public PromotionDecision Evaluate(
        string modelName,
        IReadOnlyDictionary<string, double> candidate,
        IReadOnlyDictionary<string, double>? champion)
    {
        var (policyName, rule) = options.Models.TryGetValue(modelName, out var specific)
            ? (modelName, specific)
            : ("default", options.Default);

        var violations = new List<ThresholdViolation>();
        foreach (var (metric, threshold) in rule.Metrics)
        {
            if (!TryGet(candidate, metric, out var actual))
            {
                violations.Add(new ThresholdViolation
                {
                    Metric = metric,
                    Kind = "missing",
                    Description = $"{metric} was not reported by the evaluation",
                });
                continue;
            }

            if (double.IsNaN(actual))
            {
                violations.Add(new ThresholdViolation
                {
                    Metric = metric,
                    Kind = "missing",
                    Actual = actual,
                    Description = $"{metric} is NaN",
                });
                continue;
            }

            if (threshold.Min is { } min && actual < min)
                violations.Add(Violation(metric, "min", min, actual, min - actual, $"{metric} {F(actual)} < minimum {F(min)} (short by {F(min - actual)})"));

            if (threshold.Max is { } max && actual > max)
                violations.Add(Violation(metric, "max", max, actual, actual - max, $"{metric} {F(actual)} > maximum {F(max)} (over by {F(actual - max)})"));

            if (champion is null || !TryGet(champion, metric, out var baseline) || double.IsNaN(baseline))
                continue;

            if (threshold.MaxDecrease is { } down && actual < baseline - down)
            {
                var bound = baseline - down;
                violations.Add(Violation(metric, "maxDecrease", bound, actual, bound - actual,
                    $"{metric} {F(actual)} is {F(baseline - actual)} below the champion's {F(baseline)} (allowed decrease {F(down)})"));
            }

            if (threshold.MaxIncrease is { } up && actual > baseline + up)
            {
                var bound = baseline + up;
                violations.Add(Violation(metric, "maxIncrease", bound, actual, actual - bound,
                    $"{metric} {F(actual)} is {F(actual - baseline)} above the champion's {F(baseline)} (allowed increase {F(up)})"));
            }
        }

        return new PromotionDecision(violations.Count == 0, policyName, violations) { RequiresApproval = rule.RequireApproval, FourEyes = rule.FourEyes };
    }

    static bool TryGet(IReadOnlyDictionary<string, double> metrics, string name, out double value)
    {
        if (metrics.TryGetValue(name, out value))
            return true;
        foreach (var (key, v) in metrics)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }

        return false;
    }

    static ThresholdViolation Violation(string metric, string kind, double bound, double actual, double by, string description) =>
        new() { Metric = metric, Kind = kind, Bound = bound, Actual = actual, By = by, Description = description };

    static string F(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
