namespace Bus.Contracts;

/// <summary>One audited transition of a model version: who, what, when, which artifact.</summary>
public sealed record TransitionRecord
{
    public required string State { get; init; }
    public required string Event { get; init; }
    public required DateTimeOffset At { get; init; }
    public string? Actor { get; init; }
    public string? Detail { get; init; }
    public string? ArtifactSha256 { get; init; }
    public Guid? MessageId { get; init; }
    public string? TraceId { get; init; }
    public string? Host { get; init; }
}
