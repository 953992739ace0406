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
        Func<BehaviorContext<ModelLifecycleState, T>, string?>? detail = null)
        where T : class =>
        binder.Then(ctx => Append(ctx, ctx.Event.Name, actor?.Invoke(ctx), detail?.Invoke(ctx), maxEntries));

    public static void Append(BehaviorContext<ModelLifecycleState> ctx, string eventName, string? actor, string? detail, int maxEntries)
    {
        var now = DateTimeOffset.UtcNow;
        var saga = ctx.Saga;
        saga.UpdatedAt = now;
        saga.History.Add(new TransitionRecord
        {
            State = saga.CurrentState,
            Event = eventName,
            At = now,
            Actor = actor ?? ctx.Host?.MachineName,
            Detail = detail,
            ArtifactSha256 = saga.Artifact?.Sha256,
            MessageId = ctx.MessageId,
            TraceId = Activity.Current?.TraceId.ToHexString(),
            Host = ProcessHost,
        });
        if (saga.History.Count > maxEntries)
            saga.History.RemoveRange(0, saga.History.Count - maxEntries);
    }
}
