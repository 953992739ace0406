using System.Diagnostics;
using Bus.Contracts;
using MassTransit;

namespace Bus.Pipeline;

static class AuditExtensions
{
    /// <summary>The process that made the transition (the saga host), as machine:pid.</summary>
    static readonly string ProcessHost = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Appends the instance's current state to its history: who, what, when, which artifact, which message and trace.</summary>
    public static EventActivityBinder<ModelLifecycleState, T> Audit<T>(
        this EventActivityBinder<ModelLifecycleState, T> binder,
        int maxEntries,
        Func<BehaviorContext<ModelLifecycleState, T>, string?>? actor = null,
        Func<BehaviorContext<ModelLifecycleState, T>, string?>? detail = null,
        Func<BehaviorContext<ModelLifecycleState, T>, ServingPeriod>? serving = null)
        where T : class =>
        binder.Then(ctx => Append(ctx, ctx.Event.Name, actor?.Invoke(ctx), detail?.Invoke(ctx), maxEntries, serving: serving?.Invoke(ctx)));

    /// <summary>
    /// Appends a record of <paramref name="state"/> (the current state unless given: a version that served without its
    /// own ModelDeployed being heard is recorded as Deployed before it is recorded as Superseded).
    /// </summary>
    public static void Append(BehaviorContext<ModelLifecycleState> ctx, string eventName, string? actor, string? detail, int maxEntries,
        string? state = null, ServingPeriod? serving = null)
    {
        var now = DateTimeOffset.UtcNow;
        var saga = ctx.Saga;
        saga.UpdatedAt = now;
        var decision = ctx.TryGetPayload<PromotionDecision>(out var gate) ? gate : null;
        var record = new TransitionRecord
        {
            FromState = saga.History.Count > 0 ? saga.History[^1].State : null,
            State = state ?? saga.CurrentState,
            Event = eventName,
            At = now,
            Actor = actor ?? ctx.Host?.MachineName,
            ActorKind = ActorKind(ctx, actor),
            Channel = Channel(ctx),
            Detail = detail,
            ArtifactUri = saga.Artifact?.Uri,
            ArtifactSha256 = saga.Artifact?.Sha256,
            Metrics = decision is not null && saga.Metrics.Count > 0 ? new Dictionary<string, double>(saga.Metrics)
                : eventName == nameof(TrainingCompleted) && saga.TrainingMetrics.Count > 0 ? new Dictionary<string, double>(saga.TrainingMetrics) : null,
            Decision = decision is null ? null : decision.Approved ? "promote" : "reject",
            Reasons = decision?.Summary,
            AliasRevision = serving?.AliasRevision,
            ServedFrom = serving?.From,
            ServedUntil = serving?.Until,
            MessageId = ctx.MessageId,
            TraceId = Activity.Current?.TraceId.ToHexString(),
            Host = ProcessHost,
        };
        if (record.FromState != record.State)
            PipelineMetrics.Reached(saga, record.State, now);
        saga.History.Add(record);
        saga.PendingAudit.Add(record);
        if (saga.History.Count > maxEntries)
            saga.History.RemoveRange(0, saga.History.Count - maxEntries);
    }

    /// <summary>An operator's command says its door (http, cli); the saga acting on its own is the system (a timeout).</summary>
    static string ActorKind(BehaviorContext<ModelLifecycleState> ctx, string? actor) =>
        ctx.Headers.Get<string>(AuditHeaders.ActorKind) is { } door && door is AuditHeaders.Http or AuditHeaders.Cli ? door
            : actor == ModelLifecycleStateMachine.SystemActor ? AuditHeaders.System : AuditHeaders.Message;

    /// <summary>The transport's channel headers as <c>name=value</c> pairs (topic, SNS message id, SQS sender id); null when there are none.</summary>
    static string? Channel(BehaviorContext<ModelLifecycleState> ctx)
    {
        if (ctx.ReceiveContext?.TransportHeaders is not { } headers)
            return null;
        var pairs = headers.GetAll()
            .Where(h => h.Key.StartsWith(AuditHeaders.ChannelPrefix, StringComparison.OrdinalIgnoreCase))
            .OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .Select(h => $"{h.Key[AuditHeaders.ChannelPrefix.Length..].ToLowerInvariant()}={h.Value}")
            .ToList();
        return pairs.Count == 0 ? null : string.Join(' ', pairs);
    }
}
