namespace Bus.Contracts;

/// <summary>The latency buckets every replica counts in, so that histograms add up: upper bounds in milliseconds.</summary>
public static class LatencyBuckets
{
    public static IReadOnlyList<double> UpperBoundsMs { get; } =
        [0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000, double.PositiveInfinity];

    /// <summary>The bucket of a latency.</summary>
    public static int Of(double milliseconds)
    {
        for (var i = 0; i < UpperBoundsMs.Count; i++)
        {
            if (milliseconds <= UpperBoundsMs[i])
                return i;
        }

        return UpperBoundsMs.Count - 1;
    }

    /// <summary>The <paramref name="quantile"/> of a histogram, as its bucket's upper bound (the last finite bound for the open one).</summary>
    public static double Quantile(IReadOnlyList<long> counts, double quantile)
    {
        var total = counts.Sum();
        if (total == 0)
            return 0;
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            seen += counts[i];
            if (seen >= rank)
                return double.IsInfinity(UpperBoundsMs[i]) ? UpperBoundsMs[^2] : UpperBoundsMs[i];
        }

        return UpperBoundsMs[^2];
    }
}
