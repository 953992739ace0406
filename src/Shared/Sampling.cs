namespace Bus.Shared;

/// <summary>
/// A sampler's loop: one sample at once, then one per interval until cancelled; a failed sample is reported and the
/// next one tried on time. Compiled into the transport (queue depths) and the host (versions by state).
/// </summary>
static class Sampling
{
    public static async Task RunAsync(TimeSpan interval, Func<CancellationToken, Task> sample, Action<Exception> failed,
        CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await sample(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failed(ex);
            }

            try
            {
                if (!await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                    return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        while (!cancellationToken.IsCancellationRequested);
    }
}
