using Bus.Shared;

namespace Bus.Host;

sealed class AwsOptionsValidator : OptionsValidator<AwsOptions>
{
    protected override IEnumerable<string> Failures(AwsOptions options)
    {
        if (!string.IsNullOrEmpty(options.ServiceUrl) && !Uri.TryCreate(options.ServiceUrl, UriKind.Absolute, out _))
            yield return $"{AwsOptions.SectionName}:ServiceUrl must be an absolute URL; got '{options.ServiceUrl}'.";
        if (string.IsNullOrWhiteSpace(options.Region))
            yield return $"{AwsOptions.SectionName}:Region must name an AWS region.";
        if (options.QueueDepthInterval < TimeSpan.Zero)
            yield return $"{AwsOptions.SectionName}:QueueDepthInterval cannot be negative (zero turns sampling off); got {options.QueueDepthInterval}.";
    }
}
