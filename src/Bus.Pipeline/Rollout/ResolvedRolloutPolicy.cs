using System.Globalization;

namespace Bus.Pipeline.Rollout;

/// <summary>A model's rollout policy with every setting decided.</summary>
public sealed record ResolvedRolloutPolicy(
    string Mode,
    IReadOnlyList<int> Steps,
    TimeSpan BakeTime,
    TimeSpan JudgmentInterval,
    long MinRequests,
    int FailureLimit,
    TimeSpan StepTimeout,
    double AgreementSample,
    double MaxErrorRate,
    double MaxErrorRateIncrease,
    double MaxLatencyRatio,
    double MinAgreement,
    double MaxLiveMetricDrop,
    double MaxPsi,
    long MinSamples)
{
    public const string AllAtOnce = nameof(AllAtOnce);
    public const string Canary = nameof(Canary);
    public const string Linear = nameof(Linear);
    public const string ShadowMode = "Shadow";

    public static IReadOnlyList<string> Modes { get; } = [AllAtOnce, Canary, Linear, ShadowMode];

    /// <summary>Whether the version goes through steps of live traffic before the alias moves.</summary>
    public bool Stepped => Mode != AllAtOnce;

    /// <summary>How often replicas report: a few reports in every judgment interval, at most every 10 s.</summary>
    public TimeSpan ReportInterval => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, Math.Min(TimeSpan.FromSeconds(10).Ticks,
        JudgmentInterval.Ticks / 3)));

    public static ResolvedRolloutPolicy From(RolloutPolicy? own, RolloutPolicy fallback)
    {
        T Pick<T>(Func<RolloutPolicy, T?> get, T value)
            where T : struct => (own is null ? null : get(own)) ?? get(fallback) ?? value;
        double Bound(Func<RolloutGuardrails, double?> get, double value) =>
            (own is null ? null : get(own.Guardrails)) ?? get(fallback.Guardrails) ?? value;
        var mode = own?.Mode ?? fallback.Mode ?? AllAtOnce;
        var linear = own?.LinearStep ?? fallback.LinearStep ?? 25;
        IReadOnlyList<int> steps = mode switch
        {
            Linear => Enumerable.Range(1, Math.Max(1, (100 - 1) / Math.Max(1, linear))).Select(i => i * linear).Where(p => p < 100).ToList(),
            // One step: the share of requests copied to the candidate.
            ShadowMode => [own?.ShadowPercent ?? fallback.ShadowPercent ?? 100],
            _ => own?.Steps ?? fallback.Steps ?? [10, 50],
        };
        return new ResolvedRolloutPolicy(mode, steps,
            Pick(p => p.BakeTime, TimeSpan.FromMinutes(10)),
            Pick(p => p.JudgmentInterval, TimeSpan.FromMinutes(1)),
            Pick(p => p.MinRequests, 100L),
            Pick(p => p.FailureLimit, 2),
            Pick(p => p.StepTimeout, TimeSpan.FromHours(1)),
            Pick(p => p.AgreementSample, 0.1),
            Bound(g => g.MaxErrorRate, 0.02),
            Bound(g => g.MaxErrorRateIncrease, 0.01),
            Bound(g => g.MaxLatencyRatio, 2.0),
            Bound(g => g.MinAgreement, 0.9),
            Bound(g => g.MaxLiveMetricDrop, 0.05),
            Bound(g => g.MaxPsi, 0.25),
            (long)Bound(g => g.MinSamples, 30));
    }

    /// <summary>The plan in words, for the audit record that starts the rollout.</summary>
    public string Describe() => Mode == ShadowMode
        ? string.Create(CultureInfo.InvariantCulture, $"shadow rollout: a copy of {Steps[0]}% of live requests goes to the candidate, whose answers " +
            $"no client sees, for {BakeTime}; judged every {JudgmentInterval} on at least {MinRequests} requests, {FailureLimit} failed judgment(s) end it")
        : string.Create(CultureInfo.InvariantCulture, $"{Mode.ToLowerInvariant()} rollout {string.Join(" → ", Steps.Select(s => $"{s}%"))} → 100%, " +
            $"{BakeTime} per step, judged every {JudgmentInterval} on at least {MinRequests} requests, {FailureLimit} failed judgment(s) end it; " +
            $"step 1 at {Steps[0]}%");
}
