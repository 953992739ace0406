namespace Bus.Contracts;

/// <summary>Request for the state and history of one model version; answered by <see cref="ModelVersionStatus"/> or <see
/// cref="ModelVersionNotFound"/>.</summary>
public sealed record GetModelVersionStatus
{
    public required Guid ModelVersionId { get; init; }
}
