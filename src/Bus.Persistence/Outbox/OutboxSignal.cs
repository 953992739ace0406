namespace Bus.Persistence.Outbox;

/// <summary>Wakes this process's delivery loop when a local transaction committed outbox messages, so delivery does not wait for the next poll.</summary>
public sealed class OutboxSignal
{
    readonly SemaphoreSlim _signal = new(0, 1);

    public void Committed()
    {
        try
        {
            if (_signal.CurrentCount == 0)
                _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await _signal.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
}
