using Bus.Contracts;

namespace Bus.Pipeline;

public sealed record PromotionDecision(bool Approved, string Policy, IReadOnlyList<ThresholdViolation> Violations)
{
    public string Summary => Approved
        ? $"passed policy '{Policy}'"
        : string.Join("; ", Violations.Select(v => v.Description));
}
