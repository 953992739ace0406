namespace Bus.Pipeline.Rollout;

/// <summary>Where a version's rollout stands (stored with the saga): the plan, the step, and the measurements since the last judgment.</summary>
public sealed class RolloutProgress
{
    public string Mode { get; set; } = ResolvedRolloutPolicy.Canary;
    public List<int> Steps { get; set; } = [];

    /// <summary>The current step, from 1; 0 before the first begins.</summary>
    public int Step { get; set; }
    public int TrafficPercent { get; set; }
    public DateTimeOffset StepStartedAt { get; set; }

    /// <summary>When the step's bake time began to count: its start, or the last failed judgment (a step bakes on clean judgments).</summary>
    public DateTimeOffset BakingSince { get; set; }
    public bool Paused { get; set; }
    public int FailuresThisStep { get; set; }
    public int Judgments { get; set; }
    public Guid? ChampionVersionId { get; set; }
    public RolloutTally Candidate { get; set; } = new();
    public RolloutTally Champion { get; set; } = new();

    /// <summary>The same since the step began: what the statistical guardrails (answers, agreement, live metric) are judged on.</summary>
    public RolloutTally StepCandidate { get; set; } = new();
    public RolloutTally StepChampion { get; set; } = new();

    /// <summary>Replicas counted since the last judgment, and the reports taken (replica and window start), so a redelivered report counts once.</summary>
    public List<string> Replicas { get; set; } = [];
    public List<string> Reports { get; set; } = [];

    /// <summary>The judgments so far with their guardrails' values (the dashboard's charts), the latest <see cref="MaxHistory"/>.</summary>
    public List<JudgmentPoint> History { get; set; } = [];

    public const int MaxHistory = 120;

    /// <summary>The last judgment in words (status, dashboard).</summary>
    public string? LastJudgment { get; set; }

    /// <summary>Starts a new step's measurements (and a new window).</summary>
    public void ResetStep()
    {
        StepCandidate = new RolloutTally();
        StepChampion = new RolloutTally();
        ResetWindow();
    }

    /// <summary>Starts a new window of measurements after a judgment.</summary>
    public void ResetWindow()
    {
        Candidate = new RolloutTally();
        Champion = new RolloutTally();
        Replicas = [];
        Reports = [];
    }

    /// <summary>A version's rollout in words ("canary step 1 of 2, 25% of live traffic (paused); 3 judgment(s), the last: ..."); null outside one.</summary>
    public static string? Summary(ModelLifecycleState saga) =>
        !LifecycleStates.RollingOut.Contains(saga.CurrentState) || saga.Rollout is not { Step: > 0 } r ? null
            : $"{r.Mode.ToLowerInvariant()} step {r.Step} of {r.Steps.Count}, {r.TrafficPercent}% of live traffic{(r.Paused ? " (paused)" : "")}; " +
              $"{r.Judgments} judgment(s){(r.LastJudgment is { } last ? $", the last: {last}" : "")}";
}
