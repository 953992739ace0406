using Bus.Persistence.Audit;

namespace Bus.Cli;

/// <summary>One line of `bus audit`: an audit log row with its place in the chain and both hashes, so an export can be checked on its own.</summary>
sealed record AuditRecord(
    long Sequence, DateTimeOffset At, string Model, string Version, Guid VersionId, string? From, string State, string Event, string ActorKind,
    string? Actor, string? Channel, string? Host, string? ArtifactUri, string? ArtifactSha256, string? Metrics, string? Decision, string? Reasons,
    string? Detail, long? AliasRevision, DateTimeOffset? ServedFrom, DateTimeOffset? ServedUntil, Guid? MessageId, string? TraceId, string PreviousHash,
    string Hash)
{
    public static AuditRecord Of(AuditRow row)
    {
        var e = row.Entry;
        return new AuditRecord(row.Sequence, row.RecordedAt, e.ModelName, e.ModelVersion, e.ModelVersionId, e.FromState, e.ToState, e.Event, e.ActorKind,
            e.ActorName, e.Channel, e.Host, e.ArtifactUri, e.ArtifactSha256, e.Metrics, e.Decision, e.Reasons, e.Detail, e.AliasRevision, e.ServedFrom,
            e.ServedUntil, e.MessageId, e.TraceId,
            row.PreviousHash, row.Hash);
    }
}
