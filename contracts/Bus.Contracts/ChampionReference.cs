namespace Bus.Contracts;

/// <summary>The current champion (production alias) of a model name at the time a message was made.</summary>
public sealed record ChampionReference
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelVersion { get; init; }
    public ModelArtifact? Artifact { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
}
