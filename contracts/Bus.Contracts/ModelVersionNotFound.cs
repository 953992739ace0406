namespace Bus.Contracts;

/// <summary>Answer to <see cref="GetModelVersionStatus"/> when no such model version is known.</summary>
public sealed record ModelVersionNotFound
{
    public required Guid ModelVersionId { get; init; }
}
