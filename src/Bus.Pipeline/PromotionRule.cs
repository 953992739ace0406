namespace Bus.Pipeline;

/// <summary>The thresholds a model name's versions must meet, keyed by metric name.</summary>
public sealed class PromotionRule
{
    public Dictionary<string, MetricThreshold> Metrics { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
