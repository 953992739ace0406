using Amazon.Runtime.Credentials;
using Amazon.SQS;
using Amazon.SQS.Model;
using Bus.Stages;
using Bus.Topology;
using Bus.Transport.AmazonSqs;
using Bus.Transport.AmazonSqs.Transport;

namespace Bus.Host;

/// <summary>One queue of the pipeline for the dashboard: its depth, or null when it does not exist (yet).</summary>
public sealed record WatchedQueue(string Queue, string Of, string Kind, long? Depth);

/// <summary>
/// The depth of every stage's shared queue and its failure queues (<c>_error</c>, <c>_skipped</c>, <c>_dlq</c>), for the dashboard:
/// looked up (never created) at most every 15 s while someone looks, with the lifecycle role's <c>WatchPipelineQueues</c>
/// grant (GetQueueUrl, GetQueueAttributes).
/// </summary>
public sealed class PipelineQueueWatch(StageSettings settings) : IDisposable
{
    static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(15);
    readonly SemaphoreSlim _refreshing = new(1, 1);
    readonly Lazy<AmazonSQSClient> _sqs = new(() =>
        SqsEntityClient.CreateSqsClient(DefaultAWSCredentialsIdentityResolver.GetCredentials(), settings.Region, settings.ServiceUrl, maxErrorRetry: 1));

    (DateTimeOffset At, IReadOnlyList<WatchedQueue> Queues) _last = (DateTimeOffset.MinValue, []);

    public async Task<IReadOnlyList<WatchedQueue>> SampleAsync(CancellationToken cancellationToken)
    {
        if (DateTimeOffset.UtcNow - _last.At < MaxAge)
            return _last.Queues;
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (DateTimeOffset.UtcNow - _last.At < MaxAge)
                return _last.Queues;
            var queues = new List<WatchedQueue>();
            foreach (var (queue, of, kind) in PipelineQueues.Shared())
                queues.Add(new WatchedQueue(EntityNames.Queue(queue, settings.Scope), EntityNames.Queue(of, settings.Scope), kind,
                    await DepthAsync(EntityNames.Queue(queue, settings.Scope), cancellationToken).ConfigureAwait(false)));
            _last = (DateTimeOffset.UtcNow, queues);
            return queues;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    async Task<long?> DepthAsync(string queue, CancellationToken cancellationToken)
    {
        try
        {
            var url = (await _sqs.Value.GetQueueUrlAsync(queue, cancellationToken).ConfigureAwait(false)).QueueUrl;
            var attributes = await _sqs.Value.GetQueueAttributesAsync(new GetQueueAttributesRequest
            {
                QueueUrl = url,
                AttributeNames = ["ApproximateNumberOfMessages"],
            }, cancellationToken).ConfigureAwait(false);
            return attributes.ApproximateNumberOfMessages;
        }
        catch (QueueDoesNotExistException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (_sqs.IsValueCreated)
            _sqs.Value.Dispose();
        _refreshing.Dispose();
    }
}
