using Bus.Contracts;
using Bus.Persistence;
using Bus.Persistence.Audit;
using Bus.Pipeline;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Bus.Stages.Lifecycle;

/// <summary>
/// A known version announced again with another artifact (another sha256) is refused before the saga sees it: the version
/// keeps what it was announced with, and the producer must be able to find out that its model was not evaluated. The
/// refusal is an audit record (both sha256 values, the producer), a warning, a count on <c>bus.pipeline.reannouncements</c>,
/// and the announcement in <c>model-lifecycle_error</c> with the reason. The same announcement again (a redelivery, a
/// retry of the publish) goes on to the saga, which ignores it.
/// </summary>
sealed class ReannouncementFilter(SagaStore<ModelLifecycleState> store, ILogger logger) : IFilter<ConsumeContext<TrainingCompleted>>
{
    readonly AuditLog _audit = new(store.Options.Dialect);

    public async Task Send(ConsumeContext<TrainingCompleted> context, IPipe<ConsumeContext<TrainingCompleted>> next)
    {
        var m = context.Message;
        if (ModelVersionKey.Problem(m.ModelName, m.ModelVersion) is null
            && await store.LoadAsync(ModelVersionKey.For(m.ModelName, m.ModelVersion), context.CancellationToken).ConfigureAwait(false) is { } known
            && known.Artifact is { } artifact
            && !string.Equals(artifact.Sha256, m.ArtifactSha256, StringComparison.OrdinalIgnoreCase))
        {
            var reason = $"re-announcement refused: {m.ModelName} {m.ModelVersion} is known (it is {known.CurrentState}) with artifact sha256 " +
                $"{artifact.Sha256}; this announcement says {m.ArtifactSha256 ?? "none"} for {m.ArtifactUri}. A version keeps the artifact it was " +
                "first announced with: announce a new version";
            logger.LogWarning("Refused an announcement from {Producer}: {Reason}", m.Producer ?? "(no producer)", reason);
            PipelineMetrics.Reannounced(m.ModelName);
            await _audit.AppendAsync(
            [
                new AuditEntry
                {
                    ModelName = known.ModelName,
                    ModelVersion = known.ModelVersion,
                    ModelVersionId = known.CorrelationId,
                    FromState = known.CurrentState,
                    ToState = known.CurrentState ?? LifecycleStates.Evaluating,
                    Event = nameof(TrainingCompleted),
                    ActorKind = AuditHeaders.Message,
                    ActorName = m.Producer,
                    Host = AuditEntry.ProcessHost,
                    ArtifactUri = m.ArtifactUri,
                    ArtifactSha256 = m.ArtifactSha256,
                    Detail = reason,
                    MessageId = context.MessageId,
                    TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString(),
                },
            ], context.CancellationToken).ConfigureAwait(false);
            throw new ReannouncementRefusedException(reason);
        }

        await next.Send(context).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("reannouncement");
}
