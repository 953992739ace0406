namespace Bus.Pipeline;

/// <summary>Promotion policy: a default rule and optional rules per model name (configuration section <c>Bus:Promotion</c>).</summary>
public sealed class PromotionPolicyOptions
{
    public PromotionRule Default { get; set; } = new()
    {
        Metrics = new(StringComparer.OrdinalIgnoreCase)
        {
            ["accuracy"] = new MetricThreshold { Min = 0.9, MaxDecrease = 0.005 },
        },
    };

    public Dictionary<string, PromotionRule> Models { get; set; } = new(StringComparer.Ordinal);
}
