namespace Bus.Contracts;

/// <summary>A newer deployment replaced this version as the champion of its model name.</summary>
[Stage("model.superseded")]
public sealed record ModelSuperseded
{
    public required Guid ModelVersionId { get; init; }
    public required string ModelName { get; init; }
    public string? ModelVersion { get; init; }
    public required Guid SupersededById { get; init; }
    public required string SupersededByVersion { get; init; }
    public required long AliasRevision { get; init; }
    public DateTimeOffset SupersededAt { get; init; }
}
