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

        CheckRollout("Rollout:Default", options.Rollout.Default, errors);
        foreach (var (model, policy) in options.Rollout.Models)
        {
            if (!Contracts.ModelVersionKey.IsValid(model))
                errors.Add($"{ModelLifecycleOptions.SectionName}:Rollout:Models may name only valid model names; got '{model}'.");
            CheckRollout($"Rollout:Models:{model}", policy, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>A rollout policy that could strand a version or never judge it stops the host, with the setting named.</summary>
    static void CheckRollout(string path, Rollout.RolloutPolicy policy, List<string> errors)
    {
        var at = $"{ModelLifecycleOptions.SectionName}:{path}";
        if (policy.Mode is { } mode && !Rollout.ResolvedRolloutPolicy.Modes.Contains(mode))
            errors.Add($"{at}:Mode must be one of {string.Join(", ", Rollout.ResolvedRolloutPolicy.Modes)}; got '{mode}'.");
        if (policy.Steps is { } steps && (steps.Count == 0 || steps.Any(p => p is < 1 or > 99) || steps.Zip(steps.Skip(1)).Any(p => p.Second <= p.First)))
            errors.Add($"{at}:Steps must be rising percentages between 1 and 99 (100% is the promotion); got [{string.Join(", ", steps)}].");
        if (policy.ShadowPercent is < 1 or > 100)
            errors.Add($"{at}:ShadowPercent must be between 1 and 100; got {policy.ShadowPercent}.");
        if (policy.LinearStep is < 1 or > 50)
            errors.Add($"{at}:LinearStep must be between 1 and 50 percent; got {policy.LinearStep}.");
        foreach (var (key, value, min, max) in new[]
        {
            ("BakeTime", policy.BakeTime, TimeSpan.Zero, TimeSpan.FromDays(7)),
            ("JudgmentInterval", policy.JudgmentInterval, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(15)),
            ("StepTimeout", policy.StepTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(30)),
        })
        {
            if (value is { } v && (v < min || v > max))
                errors.Add($"{at}:{key} must be between {min} and {max}; got {v}.");
        }

        if (policy.MinRequests is < 1)
            errors.Add($"{at}:MinRequests must be at least 1; got {policy.MinRequests}.");
        if (policy.FailureLimit is < 1 or > 100)
            errors.Add($"{at}:FailureLimit must be between 1 and 100; got {policy.FailureLimit}.");
        if (policy.AgreementSample is { } sample && !(sample is >= 0 and <= 1))
            errors.Add($"{at}:AgreementSample must be between 0 and 1; got {sample}.");
        var g = policy.Guardrails;
        foreach (var (key, value) in new[]
        {
            ("MaxErrorRate", g.MaxErrorRate), ("MaxErrorRateIncrease", g.MaxErrorRateIncrease), ("MaxLatencyRatio", g.MaxLatencyRatio),
            ("MinAgreement", g.MinAgreement), ("MaxLiveMetricDrop", g.MaxLiveMetricDrop), ("MaxPsi", g.MaxPsi),
        })
        {
            if (value is { } v && !double.IsFinite(v))
                errors.Add($"{at}:Guardrails:{key} must be a finite number (negative turns it off); got {v}.");
        }

        if (g.MinAgreement is > 1)
            errors.Add($"{at}:Guardrails:MinAgreement is a share, at most 1; got {g.MinAgreement}.");
        if (g.MinSamples is < 1)
            errors.Add($"{at}:Guardrails:MinSamples must be at least 1; got {g.MinSamples}.");
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
