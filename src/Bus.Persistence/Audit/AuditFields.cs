using System.Data.Common;

namespace Bus.Persistence.Audit;

/// <summary>
/// The audit record's fields, in the order of the canonical form: the one list the table's columns, the inserts, the
/// reads (by column name), the hash and the exports are made from. A field added here is a new canonical form
/// (<see cref="AuditChain.CurrentForm"/>) and a schema step.
/// </summary>
public static class AuditFields
{
    public static IReadOnlyList<AuditField> All { get; } =
    [
        new("model_name", "model", "model", AuditValue.Text, e => e.ModelName, (e, v) => e with { ModelName = (string)v! }),
        new("model_version", "version", "version", AuditValue.Text, e => e.ModelVersion, (e, v) => e with { ModelVersion = (string)v! }),
        new("model_version_id", "id", "versionId", AuditValue.Id, e => e.ModelVersionId, (e, v) => e with { ModelVersionId = (Guid)v! }),
        new("from_state", "from", "from", AuditValue.Text, e => e.FromState, (e, v) => e with { FromState = (string?)v }),
        new("to_state", "to", "state", AuditValue.Text, e => e.ToState, (e, v) => e with { ToState = (string)v! }),
        new("event", "event", "event", AuditValue.Text, e => e.Event, (e, v) => e with { Event = (string)v! }),
        new("actor_kind", "actorKind", "actorKind", AuditValue.Text, e => e.ActorKind, (e, v) => e with { ActorKind = (string)v! }),
        new("actor_name", "actor", "actor", AuditValue.Text, e => e.ActorName, (e, v) => e with { ActorName = (string?)v }),
        new("channel", "channel", "channel", AuditValue.Text, e => e.Channel, (e, v) => e with { Channel = (string?)v }),
        new("host", "host", "host", AuditValue.Text, e => e.Host, (e, v) => e with { Host = (string?)v }),
        new("artifact_uri", "artifact", "artifactUri", AuditValue.Text, e => e.ArtifactUri, (e, v) => e with { ArtifactUri = (string?)v }),
        new("artifact_sha256", "sha256", "artifactSha256", AuditValue.Text, e => e.ArtifactSha256, (e, v) => e with { ArtifactSha256 = (string?)v }),
        new("metrics", "metrics", "metrics", AuditValue.Text, e => e.Metrics, (e, v) => e with { Metrics = (string?)v }),
        new("decision", "decision", "decision", AuditValue.Text, e => e.Decision, (e, v) => e with { Decision = (string?)v }),
        new("reasons", "reasons", "reasons", AuditValue.Text, e => e.Reasons, (e, v) => e with { Reasons = (string?)v }),
        new("detail", "detail", "detail", AuditValue.Text, e => e.Detail, (e, v) => e with { Detail = (string?)v }),
        new("alias_revision", "aliasRevision", "aliasRevision", AuditValue.Number, e => e.AliasRevision, (e, v) => e with { AliasRevision = (long?)v }),
        new("served_from", "servedFrom", "servedFrom", AuditValue.Time, e => e.ServedFrom, (e, v) => e with { ServedFrom = (DateTimeOffset?)v }),
        new("served_until", "servedUntil", "servedUntil", AuditValue.Time, e => e.ServedUntil, (e, v) => e with { ServedUntil = (DateTimeOffset?)v }),
        new("message_id", "messageId", "messageId", AuditValue.Id, e => e.MessageId, (e, v) => e with { MessageId = (Guid?)v }),
        new("trace_id", "traceId", "traceId", AuditValue.Text, e => e.TraceId, (e, v) => e with { TraceId = (string?)v }),
    ];

    /// <summary>The columns of the fields, in order, comma-separated (for inserts and selects).</summary>
    public static string Columns { get; } = string.Join(", ", All.Select(f => f.Column));

    /// <summary>The entry of the row <paramref name="reader"/> is on, each field read by its column's name.</summary>
    public static AuditEntry Read(DbDataReader reader)
    {
        var entry = new AuditEntry { ModelName = "", ModelVersion = "", ModelVersionId = Guid.Empty, ToState = "", Event = "", ActorKind = "" };
        foreach (var field in All)
            entry = field.Set(entry, field.Read(reader.GetValue(reader.GetOrdinal(field.Column))));
        return entry;
    }
}
