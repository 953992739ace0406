namespace Bus.Persistence.Audit;

/// <summary>
/// What one audit record says, as the writer gives it: which model version, the transition (or the refusal: from and
/// to are then the same), the event (the message type), who (kind and name) and by which channel, on which host, which
/// artifact, the metrics and the policy decision, and the message and trace that caused it. The log adds the sequence,
/// the database's time and the hashes (<see cref="AuditRow"/>).
/// </summary>
public sealed record AuditEntry
{
    /// <summary>This process as a record's <see cref="Host"/> names it: machine:pid.</summary>
    public static string ProcessHost { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public required Guid ModelVersionId { get; init; }
    public string? FromState { get; init; }
    public required string ToState { get; init; }

    /// <summary>The message type that caused the record (<c>TrainingCompleted</c>, <c>RollbackModel</c>, ...).</summary>
    public required string Event { get; init; }

    /// <summary>message, http, cli or system (the names are Bus.Contracts' AuditHeaders).</summary>
    public required string ActorKind { get; init; }

    /// <summary>The authenticated principal (http, cli) or the name the message claims (producer, evaluator, deployer).</summary>
    public string? ActorName { get; init; }

    /// <summary>How a message came: the topic, the SNS message id and the SQS sender id, as <c>key=value</c> pairs.</summary>
    public string? Channel { get; init; }

    public string? Host { get; init; }
    public string? ArtifactUri { get; init; }
    public string? ArtifactSha256 { get; init; }

    /// <summary>The metrics as canonical JSON (keys sorted), or null.</summary>
    public string? Metrics { get; init; }

    /// <summary>The policy's decision (passed, failed, approved, ...) or null when none was taken.</summary>
    public string? Decision { get; init; }

    /// <summary>The decision's reasons or the refusal's, one per line.</summary>
    public string? Reasons { get; init; }

    public string? Detail { get; init; }

    /// <summary>For a record of serving (Deployed, Superseded, a rollback): the production alias revision it concerns.</summary>
    public long? AliasRevision { get; init; }

    /// <summary>When the version started serving (its deployment), where known.</summary>
    public DateTimeOffset? ServedFrom { get; init; }

    /// <summary>When it stopped serving (replaced or rolled back), where known.</summary>
    public DateTimeOffset? ServedUntil { get; init; }

    public Guid? MessageId { get; init; }
    public string? TraceId { get; init; }
}
