using Bus.Shared;

namespace Bus.Stages;

sealed class ObservabilityOptionsValidator : OptionsValidator<ObservabilityOptions>
{
    protected override IEnumerable<string> Failures(ObservabilityOptions options)
    {
        if (options.VersionCountInterval <= TimeSpan.Zero)
            yield return $"{ObservabilityOptions.SectionName}:VersionCountInterval must be positive; got {options.VersionCountInterval}.";
        if (!string.IsNullOrEmpty(options.TraceUrl) && !options.TraceUrl.Contains("{traceId}", StringComparison.Ordinal))
            yield return $"{ObservabilityOptions.SectionName}:TraceUrl must hold {{traceId}} where the trace id goes; got '{options.TraceUrl}'.";
    }
}
