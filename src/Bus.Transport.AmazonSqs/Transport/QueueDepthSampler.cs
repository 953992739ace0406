using Bus.Shared;
using MassTransit;
using MassTransit.Middleware;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Samples one queue's depth (visible, in flight, delayed) for the transport's gauges while its endpoint receives, once per
/// <c>QueueDepthInterval</c>; a failed sample is logged and tried again on time. Stopped with the receiver.
/// </summary>
sealed class QueueDepthSampler : Agent
{
    readonly CancellationTokenSource _stopping = new();
    readonly Task _sampling;

    QueueDepthSampler(SqsEntityClient client, QueueInfo queue, TimeSpan interval)
    {
        _sampling = Task.Run(() => Sampling.RunAsync(interval, ct => client.SampleDepthAsync(queue, ct),
            ex => LogContext.Debug?.Log(ex, "Could not sample the depth of {Queue}", queue.Name), _stopping.Token));
        SetReady();
    }

    /// <summary>A sampler for <paramref name="queue"/>, or null where sampling is off (a zero interval).</summary>
    public static QueueDepthSampler? Start(SqsEntityClient client, QueueInfo queue) =>
        client.Settings.QueueDepthInterval > TimeSpan.Zero ? new QueueDepthSampler(client, queue, client.Settings.QueueDepthInterval) : null;

    protected override async Task StopAgent(StopContext context)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        _stopping.Dispose();
        await base.StopAgent(context).ConfigureAwait(false);
    }
}
