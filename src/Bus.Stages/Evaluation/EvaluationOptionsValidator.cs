using Bus.Ml;
using Bus.Ml.Data;
using Bus.Shared;

namespace Bus.Stages.Evaluation;

sealed class EvaluationOptionsValidator : OptionsValidator<EvaluationOptions>
{
    const string Section = EvaluationOptions.SectionName;

    protected override IEnumerable<string> Failures(EvaluationOptions options)
    {
        if (options.Timeout <= TimeSpan.Zero)
            yield return $"{Section}:Timeout must be positive; got {options.Timeout}.";
        if (options.Limits.MaxActivationBytes <= 0)
            yield return $"{Section}:Limits:MaxActivationBytes must be positive; got {options.Limits.MaxActivationBytes}.";
        foreach (var model in options.Models.Keys.Where(m => !Contracts.ModelVersionKey.IsValid(m)))
            yield return $"{Section}:Models may name only valid model names; got '{model}'.";
        foreach (var (path, policy) in options.Models.Select(m => ($"Models:{m.Key}", m.Value)).Prepend(("Default", options.Default)))
        {
            if (policy.Task is not null && !EvaluationTask.All.Contains(policy.Task))
                yield return $"{Section}:{path}:Task must be one of {string.Join(", ", EvaluationTask.All)}; got '{policy.Task}'.";
            if (policy.DataFormat is not null && !EvaluationData.Formats.Contains(policy.DataFormat))
                yield return $"{Section}:{path}:DataFormat must be one of {string.Join(", ", EvaluationData.Formats)}; got '{policy.DataFormat}'.";
            if (policy.Threshold is not null and not (> 0 and < 1))
                yield return $"{Section}:{path}:Threshold must lie strictly between 0 and 1; got {policy.Threshold}.";
        }
    }
}
