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
    /// <summary>When it stopped serving: the time of the replacing alias revision.</summary>
    public DateTimeOffset SupersededAt { get; init; }

    /// <summary>When it started serving: the time of its own alias revision (<see cref="AliasRevision"/> - 1) in the registry.</summary>
    public DateTimeOffset? ServedFrom { get; init; }
}
