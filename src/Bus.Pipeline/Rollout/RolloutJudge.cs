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
/// Judges a candidate on what every replica reported, against the champion on the same traffic. The fast guardrails use
/// the window since the last judgment: error rate (absolute and against the champion's) and p99 latency against the
/// champion's. The statistical ones use everything since the step began, and fail only on evidence, not on the noise of a
/// small sample: agreement with the champion on mirrored requests and the live metric from clients' labels fail when their
/// 95 % confidence bound is past the bound, and the stability of the answers (population stability index) is judged once
/// the step has ten answers per class. A guardrail without enough data is not judged.
/// </summary>
public static class RolloutJudge
{
    /// <summary>z for a one-sided 95 % confidence bound.</summary>
    const double Z = 1.645;

    /// <summary>What a judgment reads: the window since the last judgment and the whole step, for candidate and champion.</summary>
    public sealed record Measured(RolloutTally Candidate, RolloutTally Champion, RolloutTally StepCandidate, RolloutTally StepChampion);

    public static RolloutJudgment Judge(ResolvedRolloutPolicy policy, Measured measured, bool regression)
    {
        var (candidate, champion, stepCandidate, stepChampion) = (measured.Candidate, measured.Champion, measured.StepCandidate, measured.StepChampion);
        if (candidate.Requests < policy.MinRequests)
            return new RolloutJudgment(RolloutJudgment.Wait, [],
                F($"waiting: {candidate.Requests} candidate requests of the {policy.MinRequests} a judgment needs"));

        var checks = new List<GuardrailCheck>();
        Check(checks, "error rate", candidate.ErrorRate, policy.MaxErrorRate, atMost: true, v => Percent(v));
        if (champion.Requests >= policy.MinRequests)
        {
            Check(checks, "error rate over the champion's", candidate.ErrorRate - champion.ErrorRate, policy.MaxErrorRateIncrease, atMost: true,
                v => F($"{Percent(v)} ({Percent(candidate.ErrorRate)} against {Percent(champion.ErrorRate)})"));
            var ratio = candidate.P99Ms / Math.Max(1, champion.P99Ms);
            Check(checks, "p99 latency against the champion's", ratio, policy.MaxLatencyRatio, atMost: true,
                v => F($"×{v:0.##} ({candidate.P99Ms:0.##} ms against {champion.P99Ms:0.##} ms)"));
        }

        var bins = Math.Max(stepCandidate.Outputs.Length, stepChampion.Outputs.Length);
        var (answered, championAnswered) = (stepCandidate.Outputs.Sum(), stepChampion.Outputs.Sum());
        if (bins > 1 && answered >= 10L * bins && championAnswered >= 10L * bins)
        {
            // Two samples of one distribution differ by chance: PSI · n·m/(n+m) is about χ² with bins − 1 degrees of freedom.
            // What chance explains at these sizes (its 95th percentile) is taken off before the bound is applied.
            var psi = Psi(stepCandidate.Outputs, stepChampion.Outputs);
            var chance = ChiSquare95(bins - 1) * (1.0 / answered + 1.0 / championAnswered);
            Check(checks, "stability of answers (PSI)", psi, policy.MaxPsi, atMost: true,
                v => F($"{v:0.###} over the step ({chance:0.###} of it chance at these sizes)"), judged: Math.Max(0, psi - chance), percent: false);
        }

        if (stepCandidate.Compared >= policy.MinSamples)
        {
            var agreement = (double)stepCandidate.Agreed / stepCandidate.Compared;
            var upper = Math.Min(1, agreement + Z * Math.Sqrt(agreement * (1 - agreement) / stepCandidate.Compared));
            Check(checks, "agreement with the champion", agreement, policy.MinAgreement, atMost: false,
                v => F($"{Percent(v)} of {stepCandidate.Compared} mirrored requests"), judged: upper);
        }

        if (stepCandidate.Labeled >= policy.MinSamples && stepChampion.Labeled >= policy.MinSamples)
            LiveMetric(checks, policy, stepCandidate, stepChampion, regression);

        var failed = checks.Where(c => !c.Passed).ToList();
        var verdict = failed.Count == 0 ? RolloutJudgment.Pass : RolloutJudgment.Fail;
        var measuredText = F($"{candidate.Requests} candidate and {champion.Requests} champion requests in the window");
        var summary = $"{verdict}: {string.Join("; ", checks.Select(c => c.Text))} ({measuredText})";
        return new RolloutJudgment(verdict, checks, summary);
    }

    /// <summary>Live accuracy (rmse for regression) against the champion's, failed when the 95 % bound of the drop is past the bound.</summary>
    static void LiveMetric(List<GuardrailCheck> checks, ResolvedRolloutPolicy policy, RolloutTally candidate, RolloutTally champion, bool regression)
    {
        if (regression)
        {
            var (c, h) = (Math.Sqrt(candidate.SquaredError / candidate.Labeled), Math.Sqrt(champion.SquaredError / champion.Labeled));
            var rise = h == 0 ? (c == 0 ? 0 : double.PositiveInfinity) : c / h - 1;
            Check(checks, "live rmse over the champion's", rise, policy.MaxLiveMetricDrop, atMost: true,
                v => F($"{Percent(v)} ({c:0.####} against {h:0.####})"));
            return;
        }

        var (pc, ph) = ((double)candidate.Correct / candidate.Labeled, (double)champion.Correct / champion.Labeled);
        var drop = ph - pc;
        var lower = drop - Z * Math.Sqrt(pc * (1 - pc) / candidate.Labeled + ph * (1 - ph) / champion.Labeled);
        Check(checks, "live accuracy below the champion's", drop, policy.MaxLiveMetricDrop, atMost: true,
            v => F($"{Percent(v)} ({Percent(pc)} of {candidate.Labeled} labels against {Percent(ph)} of {champion.Labeled})"), judged: lower);
    }

    /// <summary>The 95th percentile of χ² with <paramref name="df"/> degrees of freedom (Wilson and Hilferty's approximation).</summary>
    static double ChiSquare95(int df)
    {
        var a = 2.0 / (9 * df);
        return df * Math.Pow(1 - a + Z * Math.Sqrt(a), 3);
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

    /// <summary>
    /// One guardrail: <paramref name="value"/> is shown, <paramref name="judged"/> (a confidence bound, when given) decides;
    /// a negative threshold turns the guardrail off.
    /// </summary>
    static void Check(List<GuardrailCheck> checks, string name, double value, double threshold, bool atMost, Func<double, string> describe,
        double? judged = null, bool percent = true)
    {
        if (threshold < 0)
            return;
        var decisive = judged ?? value;
        var passed = atMost ? decisive <= threshold : decisive >= threshold;
        var bound = atMost ? "≤" : "≥";
        var shown = name.Contains("latency", StringComparison.Ordinal) ? F($"×{threshold:0.##}")
            : name.Contains("PSI", StringComparison.Ordinal) ? F($"{threshold:0.###}") : Percent(threshold);
        var confidence = judged is { } j ? F($", 95% bound {(percent ? Percent(j) : j.ToString("0.###", CultureInfo.InvariantCulture))}") : "";
        var text = F($"{name} {describe(value)}{confidence} ({bound} {shown}){(passed ? "" : ": FAILED")}");
        checks.Add(new GuardrailCheck(name, value, threshold, passed, text));
    }

    static string Percent(double value) => F($"{value * 100:0.##}%");

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
