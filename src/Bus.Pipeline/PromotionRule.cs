namespace Bus.Pipeline;

/// <summary>The thresholds a model name's versions must meet, keyed by metric name.</summary>
public sealed class PromotionRule
{
    public Dictionary<string, MetricThreshold> Metrics { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A version that passes the thresholds waits in AwaitingApproval for an operator's approval (or rejection) before it is deployed.</summary>
    public bool RequireApproval { get; set; }

    /// <summary>With <see cref="RequireApproval"/>: the approver must not be the version's producer (four-eyes). On unless turned off.</summary>
    public bool FourEyes { get; set; } = true;
}
