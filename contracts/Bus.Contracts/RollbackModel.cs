namespace Bus.Contracts;

/// <summary>Command: take this (deployed) version out of production and put its predecessor back.</summary>
[Stage("rollback.model")]
public sealed record RollbackModel
{
    public required Guid ModelVersionId { get; init; }
    public required string Reason { get; init; }
    public required string RequestedBy { get; init; }
}
