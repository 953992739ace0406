namespace Bus.Contracts;

/// <summary>An approval or rejection could not be taken: the version does not await one, or the approver may not give it (four-eyes).</summary>
[Stage("approval.refused")]
public sealed record ApprovalRefused
{
    public required Guid ModelVersionId { get; init; }
    public string? ModelName { get; init; }
    public string? ModelVersion { get; init; }
    public required string Reason { get; init; }
    public string? RequestedBy { get; init; }
}
