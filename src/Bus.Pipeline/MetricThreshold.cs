namespace Bus.Pipeline;

/// <summary>
/// Bounds for one metric, in the spirit of TFX's blessing: absolute bounds (<see cref="Min"/>,
/// <see cref="Max"/>) and change bounds against the champion (<see cref="MaxDecrease"/>,
/// <see cref="MaxIncrease"/>), all in the metric's own units (accuracy 0.9, not 90).
/// </summary>
public sealed class MetricThreshold
{
    public double? Min { get; set; }
    public double? Max { get; set; }

    /// <summary>The candidate may be at most this much below the champion (e.g. 0.005 = half a point of accuracy).</summary>
    public double? MaxDecrease { get; set; }

    /// <summary>The candidate may be at most this much above the champion (for lower-is-better metrics such as log loss).</summary>
    public double? MaxIncrease { get; set; }
}
