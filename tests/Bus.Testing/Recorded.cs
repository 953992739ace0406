using MassTransit;
using MassTransit.Testing;

namespace Bus.Testing;

/// <summary>
/// What a MassTransit test harness has recorded so far, without waiting. The harness's synchronous <c>Select</c>
/// enumerates what is there and then blocks, holding the list's lock, for more until its timeout; disposing that
/// enumerator while the harness's inactivity or test-timeout callback runs deadlocks both (seen as a CI run that
/// never ended, and caught live: <c>CancellationTokenSource.WaitForCallbackToComplete</c> under
/// <c>AsyncElementList.Select</c>). Passing an already-cancelled token makes it return only what is recorded.
/// Tests use these snapshots (with <see cref="Poll.Until"/> to wait), never the blocking enumeration.
/// </summary>
public static class Recorded
{
    static readonly CancellationToken Now = new(canceled: true);

    public static IReadOnlyList<IReceivedMessage<T>> Snapshot<T>(this IReceivedMessageList list, Func<IReceivedMessage<T>, bool>? filter = null)
        where T : class =>
        list.Select<T>(x => filter is null || filter(x), Now).ToList();

    public static IReadOnlyList<IReceivedMessage> Snapshot(this IReceivedMessageList list) =>
        list.Select(_ => true, Now).ToList();

    public static IReadOnlyList<IPublishedMessage<T>> Snapshot<T>(this IPublishedMessageList list, Func<IPublishedMessage<T>, bool>? filter = null)
        where T : class =>
        list.Select<T>(x => filter is null || filter(x), Now).ToList();

    public static IReadOnlyList<ISentMessage<T>> Snapshot<T>(this ISentMessageList list, Func<ISentMessage<T>, bool>? filter = null)
        where T : class =>
        list.Select<T>(x => filter is null || filter(x), Now).ToList();

    public static IReadOnlyList<ISagaInstance<TSaga>> Snapshot<TSaga>(this ISagaList<TSaga> list, Func<TSaga, bool> filter)
        where TSaga : class, ISaga =>
        list.Select(x => filter(x), Now).ToList();

    /// <summary>Waits until a matching message is recorded, then returns it, failing if more than one is.</summary>
    public static async Task<IReceivedMessage<T>> ExactlyOne<T>(this IReceivedMessageList list, Func<IReceivedMessage<T>, bool>? filter = null)
        where T : class
    {
        await Poll.Until(() => list.Snapshot(filter).Count > 0).ConfigureAwait(false);
        return list.Snapshot(filter).Single();
    }

    /// <inheritdoc cref="ExactlyOne{T}(IReceivedMessageList, Func{IReceivedMessage{T}, bool}?)"/>
    public static async Task<IPublishedMessage<T>> ExactlyOne<T>(this IPublishedMessageList list, Func<IPublishedMessage<T>, bool>? filter = null)
        where T : class
    {
        await Poll.Until(() => list.Snapshot(filter).Count > 0).ConfigureAwait(false);
        return list.Snapshot(filter).Single();
    }

    /// <inheritdoc cref="ExactlyOne{T}(IReceivedMessageList, Func{IReceivedMessage{T}, bool}?)"/>
    public static async Task<ISentMessage<T>> ExactlyOne<T>(this ISentMessageList list, Func<ISentMessage<T>, bool>? filter = null)
        where T : class
    {
        await Poll.Until(() => list.Snapshot(filter).Count > 0).ConfigureAwait(false);
        return list.Snapshot(filter).Single();
    }

    /// <summary>The saga instance with this id, if the harness has seen it (never waits).</summary>
    public static TSaga? Find<TSaga>(this ISagaList<TSaga> list, Guid id)
        where TSaga : class, ISaga =>
        list.Snapshot(x => x.CorrelationId == id).Select(x => x.Saga).FirstOrDefault();
}
