using Bus.Contracts;
using Bus.Persistence.Audit;
using Bus.Pipeline;

namespace Bus.Stages.Lifecycle;

/// <summary>The lifecycle saga's records as audit log entries: where the saga (which knows no SQL) meets the log (which knows no saga).</summary>
public static class LifecycleAudit
{
    public static IReadOnlyList<AuditEntry> Take(ModelLifecycleState saga) =>
        saga.TakeAudit().Select(r => new AuditEntry
        {
            ModelName = saga.ModelName,
            ModelVersion = saga.ModelVersion,
            ModelVersionId = saga.CorrelationId,
            FromState = r.FromState,
            ToState = r.State,
            Event = r.Event,
            ActorKind = r.ActorKind ?? AuditHeaders.Message,
            ActorName = r.Actor,
            Channel = r.Channel,
            Host = r.Host,
            ArtifactUri = r.ArtifactUri,
            ArtifactSha256 = r.ArtifactSha256,
            Metrics = AuditChain.CanonicalMetrics(r.Metrics),
            Decision = r.Decision,
            Reasons = r.Reasons,
            Detail = r.Detail,
            AliasRevision = r.AliasRevision,
            ServedFrom = r.ServedFrom,
            ServedUntil = r.ServedUntil,
            MessageId = r.MessageId,
            TraceId = r.TraceId,
        }).ToList();
}
