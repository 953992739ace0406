using Bus.Shared;
using Bus.Stages;

namespace Bus.Host;

sealed class BusHostOptionsValidator : OptionsValidator<BusHostOptions>
{
    protected override IEnumerable<string> Failures(BusHostOptions options)
    {
        foreach (var stage in options.Stages.Where(s => !PipelineStages.Names.Contains(s)))
            yield return $"Bus:Host:Stages may name only: {string.Join(", ", PipelineStages.Names)}; got '{stage}'.";
        if (string.IsNullOrWhiteSpace(options.Name))
            yield return $"{BusHostOptions.SectionName}:Name must name this host (the audit trail's actor, a serving host's queue).";
    }
}
