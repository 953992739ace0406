namespace Bus.Pipeline.Rollout;

/// <summary>
/// How a promoted version reaches live traffic (<c>Bus:Lifecycle:Rollout:Default</c>, overridden per model name under
/// <c>Bus:Lifecycle:Rollout:Models:&lt;name&gt;</c>, setting by setting). Unset settings take the defaults of
/// <see cref="ResolvedRolloutPolicy"/>.
/// </summary>
public sealed class RolloutPolicy
{
    /// <summary>
    /// <c>AllAtOnce</c> (the alias moves for every request at once), <c>Canary</c> (the steps given), <c>Linear</c> (equal
    /// steps) or <c>Shadow</c> (the champion answers every request; a copy goes to the candidate, whose answers no client sees).
    /// </summary>
    public string? Mode { get; set; }

    /// <summary>Canary: the candidate's share of live traffic at each step, in percent, rising, each 1-99 (100 % is the promotion).</summary>
    public List<int>? Steps { get; set; }

    /// <summary>Linear: the share added at each step, in percent (20 gives 20, 40, 60, 80).</summary>
    public int? LinearStep { get; set; }

    /// <summary>Shadow: the share of requests copied to the candidate, in percent (1-100).</summary>
    public int? ShadowPercent { get; set; }

    /// <summary>How long each step serves, with every judgment in it passing, before the next step.</summary>
    public TimeSpan? BakeTime { get; set; }

    /// <summary>How often the candidate is judged on the measurements the replicas reported since the last judgment.</summary>
    public TimeSpan? JudgmentInterval { get; set; }

    /// <summary>Candidate requests a judgment needs (fewer, and the judgment waits: it neither passes nor fails).</summary>
    public long? MinRequests { get; set; }

    /// <summary>Failed judgments in one step that end the rollout.</summary>
    public int? FailureLimit { get; set; }

    /// <summary>How long a step may go without its bake time passing (too little traffic, a pause) before the rollout ends.</summary>
    public TimeSpan? StepTimeout { get; set; }

    /// <summary>The share of candidate requests also run on the champion, to measure agreement (0-1).</summary>
    public double? AgreementSample { get; set; }

    public RolloutGuardrails Guardrails { get; set; } = new();
}

/// <summary>What a candidate must keep to on live traffic; each unset bound takes its default, each can be turned off with a negative value.</summary>
public sealed class RolloutGuardrails
{
    /// <summary>The candidate's error rate (5xx from the model: a failed run, an answer that is not a number), absolute.</summary>
    public double? MaxErrorRate { get; set; }

    /// <summary>The candidate's error rate less the champion's.</summary>
    public double? MaxErrorRateIncrease { get; set; }

    /// <summary>The candidate's p99 latency over the champion's.</summary>
    public double? MaxLatencyRatio { get; set; }

    /// <summary>The share of mirrored requests on which candidate and champion predict the same class.</summary>
    public double? MinAgreement { get; set; }

    /// <summary>
    /// How far the candidate's live accuracy (from clients' feedback) may fall below the champion's; for regression, how far
    /// its rmse may rise, as a fraction.
    /// </summary>
    public double? MaxLiveMetricDrop { get; set; }

    /// <summary>The population stability index of the candidate's answers against the champion's.</summary>
    public double? MaxPsi { get; set; }

    /// <summary>Mirrored requests, or labelled predictions per version, below which agreement and the live metric are not judged.</summary>
    public long? MinSamples { get; set; }
}
