using Bus.Contracts;

namespace Bus.Pipeline;

public sealed record PromotionDecision(bool Approved, string Policy, IReadOnlyList<ThresholdViolation> Violations)
{
    /// <summary>The policy wants a human to approve a version that passed (<see cref="PromotionRule.RequireApproval"/>).</summary>
    public bool RequiresApproval { get; init; }

    /// <summary>The approver must not be the producer.</summary>
    public bool FourEyes { get; init; } = true;

    public string Summary => Approved
        ? $"passed policy '{Policy}'"
        : string.Join("; ", Violations.Select(v => v.Description));
}
