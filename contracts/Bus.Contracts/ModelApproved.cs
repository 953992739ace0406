namespace Bus.Contracts;

/// <summary>The promotion gate blessed a model version; deployment has been requested.</summary>
[Stage("model.approved")]
public sealed record ModelApproved
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public string? ChampionVersion { get; init; }
    public required string Policy { get; init; }
    public DateTimeOffset ApprovedAt { get; init; }
}
