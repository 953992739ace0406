using Bus.Shared;

namespace Bus.Stages.Serving;

sealed class ServingOptionsValidator : OptionsValidator<ServingOptions>
{
    protected override IEnumerable<string> Failures(ServingOptions options)
    {
        if (options.ReconcileInterval < TimeSpan.Zero)
            yield return $"{ServingOptions.SectionName}:ReconcileInterval cannot be negative; got {options.ReconcileInterval}.";
        if (options.VerifyInterval < TimeSpan.Zero)
            yield return $"{ServingOptions.SectionName}:VerifyInterval cannot be negative; got {options.VerifyInterval}.";
    }
}
