namespace Bus.Pipeline.Rollout;

/// <summary>One judgment of a rollout, kept for the dashboard's charts: when, at which step and share, the verdict and each guardrail.</summary>
public sealed record JudgmentPoint(DateTimeOffset At, int Step, int TrafficPercent, string Verdict, IReadOnlyList<GuardrailPoint> Guardrails);

/// <summary>A guardrail's measured value against its bound in one judgment.</summary>
public sealed record GuardrailPoint(string Name, double Value, double Threshold, bool Passed);
