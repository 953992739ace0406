namespace Bus.Contracts;

/// <summary>The promotion gate refused a model version.</summary>
[Stage("model.rejected")]
public sealed record ModelRejected
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required string Reason { get; init; }
    public required IReadOnlyList<ThresholdViolation> Violations { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public string? ChampionVersion { get; init; }
    public required string Policy { get; init; }
    public DateTimeOffset RejectedAt { get; init; }
}
