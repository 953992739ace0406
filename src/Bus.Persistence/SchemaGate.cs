namespace Bus.Persistence;

/// <summary>Runs a component's migration once per process: the first caller migrates, the others wait for it.</summary>
public sealed class SchemaGate
{
    readonly SemaphoreSlim _gate = new(1, 1);
    volatile bool _done;

    public async Task EnsureAsync(Func<CancellationToken, Task> migrate, CancellationToken cancellationToken)
    {
        if (_done)
            return;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_done)
                return;
            await migrate(cancellationToken).ConfigureAwait(false);
            _done = true;
        }
        finally
        {
            _gate.Release();
        }
    }
}
