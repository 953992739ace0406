using System.Globalization;

namespace Bus.Pipeline.Rollout;

/// <summary>One guardrail's check in a judgment: the measured value, the bound, whether it held.</summary>
public sealed record GuardrailCheck(string Name, double Value, double Threshold, bool Passed, string Text);

/// <summary>A judgment of the candidate on one window of live traffic: <see cref="Verdict"/> and each guardrail's check.</summary>
public sealed record RolloutJudgment(string Verdict, IReadOnlyList<GuardrailCheck> Checks, string Summary)
{
    public const string Pass = "pass";
    public const string Fail = "fail";

    /// <summary>Too few candidate requests to judge: neither passes nor fails.</summary>
    public const string Wait = "wait";

    public GuardrailCheck? FirstFailure => Checks.FirstOrDefault(c => !c.Passed);
}

/// <summary>
/// Judges a candidate on the measurements every replica reported in a window, against the champion on the same traffic:
/// error rate (absolute and against the champion), p99 latency against the champion's, agreement with the champion on
/// mirrored requests, the live metric from clients' labels, and the stability of its answers (population stability index).
/// A guardrail without enough data for either version is not judged and says so.
/// </summary>
public static class RolloutJudge
{
    public static RolloutJudgment Judge(ResolvedRolloutPolicy policy, RolloutTally candidate, RolloutTally champion, bool regression)
    {
        if (candidate.Requests < policy.MinRequests)
            return new RolloutJudgment(RolloutJudgment.Wait, [],
                F($"waiting: {candidate.Requests} candidate requests of the {policy.MinRequests} a judgment needs"));

        var checks = new List<GuardrailCheck>();
        Check(checks, "error rate", candidate.ErrorRate, policy.MaxErrorRate, atMost: true, v => Percent(v));
        var championMeasured = champion.Requests >= policy.MinRequests;
        if (championMeasured)
        {
            Check(checks, "error rate over the champion's", candidate.ErrorRate - champion.ErrorRate, policy.MaxErrorRateIncrease, atMost: true,
                v => F($"{Percent(v)} ({Percent(candidate.ErrorRate)} against {Percent(champion.ErrorRate)})"));
            var ratio = candidate.P99Ms / Math.Max(1, champion.P99Ms);
            Check(checks, "p99 latency against the champion's", ratio, policy.MaxLatencyRatio, atMost: true,
                v => F($"×{v:0.##} ({candidate.P99Ms:0.##} ms against {champion.P99Ms:0.##} ms)"));
            if (candidate.Outputs.Length > 0 && champion.Outputs.Length > 0)
                Check(checks, "stability of answers (PSI)", Psi(candidate.Outputs, champion.Outputs), policy.MaxPsi, atMost: true, v => F($"{v:0.###}"));
        }

        if (candidate.Compared >= policy.MinSamples)
            Check(checks, "agreement with the champion", (double)candidate.Agreed / candidate.Compared, policy.MinAgreement, atMost: false,
                v => F($"{Percent(v)} of {candidate.Compared} mirrored requests"));
        if (candidate.Labeled >= policy.MinSamples && champion.Labeled >= policy.MinSamples)
        {
            if (regression)
            {
                var (c, h) = (Math.Sqrt(candidate.SquaredError / candidate.Labeled), Math.Sqrt(champion.SquaredError / champion.Labeled));
                Check(checks, "live rmse over the champion's", h == 0 ? (c == 0 ? 0 : double.PositiveInfinity) : c / h - 1, policy.MaxLiveMetricDrop,
                    atMost: true, v => F($"{Percent(v)} ({c:0.####} against {h:0.####})"));
            }
            else
            {
                var (c, h) = ((double)candidate.Correct / candidate.Labeled, (double)champion.Correct / champion.Labeled);
                Check(checks, "live accuracy below the champion's", h - c, policy.MaxLiveMetricDrop, atMost: true,
                    v => F($"{Percent(v)} ({Percent(c)} of {candidate.Labeled} labels against {Percent(h)} of {champion.Labeled})"));
            }
        }

        var failed = checks.Where(c => !c.Passed).ToList();
        var verdict = failed.Count == 0 ? RolloutJudgment.Pass : RolloutJudgment.Fail;
        var measured = F($"{candidate.Requests} candidate and {champion.Requests} champion requests");
        var summary = $"{verdict}: {string.Join("; ", checks.Select(c => c.Text))} ({measured})";
        return new RolloutJudgment(verdict, checks, summary);
    }

    /// <summary>Population stability index of two histograms over the same bins; empty bins count as a small share, not zero.</summary>
    public static double Psi(IReadOnlyList<long> actual, IReadOnlyList<long> expected)
    {
        const double Floor = 1e-4;
        var (a, e) = ((double)actual.Sum(), (double)expected.Sum());
        if (a == 0 || e == 0)
            return 0;
        double psi = 0;
        for (var i = 0; i < Math.Max(actual.Count, expected.Count); i++)
        {
            var p = Math.Max(Floor, (i < actual.Count ? actual[i] : 0) / a);
            var q = Math.Max(Floor, (i < expected.Count ? expected[i] : 0) / e);
            psi += (p - q) * Math.Log(p / q);
        }

        return psi;
    }

    static void Check(List<GuardrailCheck> checks, string name, double value, double threshold, bool atMost, Func<double, string> describe)
    {
        if (threshold < 0)
            return; // turned off
        var passed = atMost ? value <= threshold : value >= threshold;
        var bound = atMost ? "≤" : "≥";
        var shown = name.Contains("latency", StringComparison.Ordinal) ? F($"×{threshold:0.##}")
            : name.Contains("PSI", StringComparison.Ordinal) ? F($"{threshold:0.###}") : Percent(threshold);
        checks.Add(new GuardrailCheck(name, value, threshold, passed, F($"{name} {describe(value)} ({bound} {shown}){(passed ? "" : ": FAILED")}")));
    }

    static string Percent(double value) => F($"{value * 100:0.##}%");

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
