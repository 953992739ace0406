namespace Bus.Contracts;

/// <summary>
/// One audited transition (or refused request) of a model version: who (and how they came), what, when, from which
/// state to which, which artifact, the metrics and the decision taken on them. The saga keeps the latest of these for
/// the status API; every one of them also goes to the audit log, which is the record.
/// </summary>
public sealed record TransitionRecord
{
    public required string State { get; init; }
    public required string Event { get; init; }
    public required DateTimeOffset At { get; init; }
    public string? FromState { get; init; }
    public string? Actor { get; init; }

    /// <summary>message, http, cli or system: see <see cref="AuditHeaders.ActorKind"/>.</summary>
    public string? ActorKind { get; init; }

    /// <summary>How the message came (topic, SNS message id, SQS sender id), from the transport.</summary>
    public string? Channel { get; init; }

    public string? Detail { get; init; }
    public string? ArtifactUri { get; init; }
    public string? ArtifactSha256 { get; init; }
    public IReadOnlyDictionary<string, double>? Metrics { get; init; }

    /// <summary>The promotion gate's decision on this event (promote or reject), with its reasons.</summary>
    public string? Decision { get; init; }
    public string? Reasons { get; init; }
    /// <summary>For a record of serving: the production alias revision it concerns, and when it started and stopped serving where known.</summary>
    public long? AliasRevision { get; init; }
    public DateTimeOffset? ServedFrom { get; init; }
    public DateTimeOffset? ServedUntil { get; init; }
    public Guid? MessageId { get; init; }
    public string? TraceId { get; init; }
    public string? Host { get; init; }
}
