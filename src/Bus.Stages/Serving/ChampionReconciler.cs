using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bus.Stages.Serving;

/// <summary>
/// On start, serves what the registry says is in production (durable across restarts); then, every
/// <see cref="ServingOptions.ReconcileInterval"/>, catches up with any alias that moved without this host hearing of it.
/// </summary>
public sealed class ChampionReconciler(ChampionFollower follower, IOptions<ServingOptions> options, ILogger<ChampionReconciler> logger) : BackgroundService
{
    readonly HashSet<(string, long)> _reported = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ReconcileInterval;
        var verify = options.Value.VerifyInterval;
        var verified = DateTimeOffset.UtcNow;
        do
        {
            try
            {
                foreach (var (alias, error) in await follower.CatchUpAllAsync(stoppingToken).ConfigureAwait(false))
                {
                    // Once per alias revision at Error: a broken artifact is retried every round, but not re-reported.
                    if (_reported.Add((alias.ModelName, alias.Revision)))
                        logger.LogError(error, "Could not serve {ModelName} {ModelVersion} (alias revision {Revision}); still serving what was served before",
                            alias.ModelName, alias.ModelVersion, alias.Revision);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Could not read the model registry to reconcile served models: {Reason}", ex.Message);
            }

            if (verify > TimeSpan.Zero && DateTimeOffset.UtcNow - verified >= verify)
            {
                verified = DateTimeOffset.UtcNow;
                try
                {
                    await follower.VerifyServedAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Could not check the served artifacts: {Reason}", ex.Message);
                }
            }

            if (interval <= TimeSpan.Zero)
                return;
            try
            {
                await Task.Delay(interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        while (!stoppingToken.IsCancellationRequested);
    }
}
