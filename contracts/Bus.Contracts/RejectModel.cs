namespace Bus.Contracts;

/// <summary>Command from an operator: this version, which awaits a human approval, is not to be deployed.</summary>
[Stage("reject.model")]
public sealed record RejectModel
{
    public required Guid ModelVersionId { get; init; }
    public required string Reason { get; init; }
    public required string RejectedBy { get; init; }
}
