using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bus.Persistence.Outbox;

/// <summary>
/// Runs <see cref="OutboxCleanup"/> every <see cref="BusOutboxOptions.CleanupInterval"/>, first once the database
/// answers. In every host that has the outbox; several hosts cleaning at once delete the same old rows, which is harmless.
/// </summary>
public sealed class OutboxCleanupService(BusDatabase database, OutboxCleanup cleanup, IOptions<BusOutboxOptions> options,
    ILogger<OutboxCleanupService> logger) : BackgroundService
{
    readonly BusOutboxOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await database.WaitUntilReachableAsync(logger, _options.MaxRetryDelay, stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(_options.CleanupInterval);
            do
            {
                try
                {
                    await cleanup.CleanupAsync(DateTimeOffset.UtcNow - _options.Retention, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Outbox cleanup failed; trying again in {Interval}", _options.CleanupInterval);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
