using Bus.Ml;

namespace Bus.Registry;

/// <summary>The version a model name's "production" alias points to.</summary>
public sealed record AliasRecord(string ModelName, Guid ModelVersionId, string ModelVersion, long Revision, ArtifactReference Artifact,
    IReadOnlyDictionary<string, double> Metrics, DateTimeOffset UpdatedAt);
