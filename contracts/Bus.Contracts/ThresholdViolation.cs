namespace Bus.Contracts;

/// <summary>One promotion threshold a model version missed.</summary>
public sealed record ThresholdViolation
{
    public required string Metric { get; init; }

    /// <summary><c>min</c>, <c>max</c>, <c>maxDecrease</c>, <c>maxIncrease</c> or <c>missing</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The bound the value had to respect (for change thresholds: champion value ± allowed change).</summary>
    public double Bound { get; init; }

    public double? Actual { get; init; }

    /// <summary>How far past the bound the value is (positive; 0 for a missing metric).</summary>
    public double By { get; init; }

    public required string Description { get; init; }
}
