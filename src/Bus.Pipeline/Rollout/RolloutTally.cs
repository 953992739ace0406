using Bus.Contracts;

namespace Bus.Pipeline.Rollout;

/// <summary>One version's measurements summed over the replicas' reports since the last judgment (stored with the saga).</summary>
public sealed class RolloutTally
{
    public long Requests { get; set; }
    public long Errors { get; set; }
    public long[] Latency { get; set; } = new long[LatencyBuckets.UpperBoundsMs.Count];
    public long[] Outputs { get; set; } = [];
    public long Compared { get; set; }
    public long Agreed { get; set; }
    public double AbsoluteDifference { get; set; }
    public long Labeled { get; set; }
    public long Correct { get; set; }
    public double SquaredError { get; set; }

    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;

    public double P99Ms => LatencyBuckets.Quantile(Latency, 0.99);

    public void Add(VersionWindow w)
    {
        Requests += w.Requests;
        Errors += w.Errors;
        for (var i = 0; i < Math.Min(Latency.Length, w.Latency.Length); i++)
            Latency[i] += w.Latency[i];
        if (w.Outputs.Length > Outputs.Length)
            Outputs = [.. Outputs, .. new long[w.Outputs.Length - Outputs.Length]];
        for (var i = 0; i < w.Outputs.Length; i++)
            Outputs[i] += w.Outputs[i];
        Compared += w.Compared;
        Agreed += w.Agreed;
        AbsoluteDifference += w.AbsoluteDifference;
        Labeled += w.Labeled;
        Correct += w.Correct;
        SquaredError += w.SquaredError;
    }

    /// <summary>
    /// Why a report's window cannot be true (negative counts, more errors than requests, a histogram that does not add up
    /// to the requests); null when it can.
    /// </summary>
    public static string? Impossible(VersionWindow w)
    {
        if (w.Requests < 0 || w.Errors < 0 || w.Compared < 0 || w.Agreed < 0 || w.Labeled < 0 || w.Correct < 0 || w.Latency.Any(c => c < 0)
            || w.Outputs.Any(c => c < 0))
            return "a negative count";
        if (w.Errors > w.Requests || w.Agreed > w.Compared || w.Correct > w.Labeled)
            return "more errors than requests, agreements than comparisons or right answers than labels";
        if (w.Latency.Length > LatencyBuckets.UpperBoundsMs.Count || w.Latency.Sum() != w.Requests)
            return "a latency histogram that does not add up to the requests";
        if (w.Outputs.Length > 10_000 || w.Outputs.Sum() > w.Requests)
            return "more answers than requests";
        if (!double.IsFinite(w.AbsoluteDifference) || !double.IsFinite(w.SquaredError) || w.AbsoluteDifference < 0 || w.SquaredError < 0)
            return "a sum of differences that is not a finite, non-negative number";
        return null;
    }
}
