namespace Bus.Contracts;

/// <summary>Where a model version's artifact lives and how to check it.</summary>
public sealed record ModelArtifact
{
    public required string Uri { get; init; }
    public required string Format { get; init; }
    public required string Sha256 { get; init; }
}
