namespace Bus.Host;

/// <summary>
/// At most N inferences at once: a burst of prediction requests waits here without holding a thread (then gets 503),
/// instead of taking every pool thread that the receive loops, the visibility renewals and the outbox need.
/// </summary>
public sealed class InferenceGate(int concurrency, TimeSpan queueTimeout) : IDisposable
{
    readonly SemaphoreSlim _slots = new(concurrency, concurrency);

    /// <summary>Runs <paramref name="work"/> in a slot; null when no slot came free within the queue timeout.</summary>
    public async Task<T?> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
        where T : class
    {
        if (!await _slots.WaitAsync(queueTimeout, cancellationToken).ConfigureAwait(false))
            return null;
        try
        {
            return work();
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
