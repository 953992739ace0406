using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Bus.Pipeline;

/// <summary>Checks <see cref="ModelLifecycleOptions"/> at start-up so a bad policy stops the host with a clear message.</summary>
public sealed partial class ModelLifecycleOptionsValidator : IValidateOptions<ModelLifecycleOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelLifecycleOptions options)
    {
        var errors = new List<string>();
        if (options.EvaluationTimeout < TimeSpan.FromSeconds(1) || options.EvaluationTimeout > TimeSpan.FromMinutes(15))
            errors.Add($"{ModelLifecycleOptions.SectionName}:EvaluationTimeout must be between 00:00:01 and 00:15:00 (the SQS delay limit); got " +
                $"{options.EvaluationTimeout}.");
        foreach (var (key, timeout) in new[] { ("DeploymentTimeout", options.DeploymentTimeout), ("RollbackTimeout", options.RollbackTimeout) })
        {
            if (timeout < TimeSpan.FromSeconds(1) || timeout > TimeSpan.FromMinutes(15))
                errors.Add($"{ModelLifecycleOptions.SectionName}:{key} must be between 00:00:01 and 00:15:00 (the SQS delay limit); got {timeout}.");
        }

        if (options.ApprovalTimeout < TimeSpan.FromSeconds(1) || options.ApprovalTimeout > TimeSpan.FromDays(90))
            errors.Add($"{ModelLifecycleOptions.SectionName}:ApprovalTimeout must be between 00:00:01 and 90.00:00:00; got {options.ApprovalTimeout}.");
        if (options.MaxEvaluationAttempts is < 1 or > 20)
            errors.Add($"{ModelLifecycleOptions.SectionName}:MaxEvaluationAttempts must be between 1 and 20; got {options.MaxEvaluationAttempts}.");
        if (options.MaxHistoryEntries is < 16 or > 10_000)
            errors.Add($"{ModelLifecycleOptions.SectionName}:MaxHistoryEntries must be between 16 and 10000; got {options.MaxHistoryEntries}.");
        foreach (var (key, queue) in new[] { ("EvaluationQueue", options.EvaluationQueue), ("DeploymentQueue", options.DeploymentQueue) })
        {
            if (queue is null || !QueueName().IsMatch(queue))
                errors.Add($"{ModelLifecycleOptions.SectionName}:{key} must be 1-80 letters, digits, '-' or '_'; got '{queue}'.");
        }

        CheckRule("Promotion:Default", options.Promotion.Default, errors);
        foreach (var (model, rule) in options.Promotion.Models)
            CheckRule($"Promotion:Models:{model}", rule, errors);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    static void CheckRule(string path, PromotionRule rule, List<string> errors)
    {
        foreach (var (metric, t) in rule.Metrics)
        {
            if (t.Min is null && t.Max is null && t.MaxDecrease is null && t.MaxIncrease is null)
                errors.Add($"{ModelLifecycleOptions.SectionName}:{path}:Metrics:{metric} sets no bound (use min, max, maxDecrease or maxIncrease).");
            if (t.Min is { } min && t.Max is { } max && min > max)
                errors.Add($"{ModelLifecycleOptions.SectionName}:{path}:Metrics:{metric} has min {min} above max {max}.");
            if (t.MaxDecrease is < 0 || t.MaxIncrease is < 0)
                errors.Add($"{ModelLifecycleOptions.SectionName}:{path}:Metrics:{metric} allowed changes must not be negative.");
            if (new[] { t.Min, t.Max, t.MaxDecrease, t.MaxIncrease }.Any(v => v is { } d && !double.IsFinite(d)))
                errors.Add($"{ModelLifecycleOptions.SectionName}:{path}:Metrics:{metric} bounds must be finite numbers.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,80}$")]
    private static partial Regex QueueName();
}
