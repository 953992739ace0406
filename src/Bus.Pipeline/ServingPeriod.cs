namespace Bus.Pipeline;

/// <summary>What a record of serving says: the alias revision, and when the version started and stopped serving where the message says.</summary>
public readonly record struct ServingPeriod(long AliasRevision, DateTimeOffset? From, DateTimeOffset? Until)
{
    /// <summary>Unset message times (the default) are unknown, not the year 1.</summary>
    public static DateTimeOffset? Known(DateTimeOffset at) => at == default ? null : at;
}
