namespace Bus.Registry;

public sealed record Promotion(AliasRecord Current, Guid? PreviousId, string? PreviousVersion, bool AlreadyCurrent)
{
    /// <summary>The same request was applied before (a redelivered command): this is its original outcome, and the alias may have moved on since.</summary>
    public bool Replayed { get; init; }

    /// <summary>Since when the previous version served: the time of its alias revision in the registry; null for the first.</summary>
    public DateTimeOffset? PreviousSince { get; init; }
}
