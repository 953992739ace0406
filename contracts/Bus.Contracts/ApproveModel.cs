namespace Bus.Contracts;

/// <summary>Command from an operator: this version, which passed the automatic gate and awaits a human, may be deployed.</summary>
[Stage("approve.model")]
public sealed record ApproveModel
{
    public required Guid ModelVersionId { get; init; }
    public required string Reason { get; init; }

    /// <summary>The authenticated principal who approves (the host's API and the CLI fill it in).</summary>
    public required string ApprovedBy { get; init; }
}
