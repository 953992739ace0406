using System.Globalization;
using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Collects deletes for one queue into DeleteMessageBatch calls of up to 10; each caller learns its own entry's outcome.</summary>
sealed class DeleteBatcher : IAsyncDisposable
{
    const int MaxBatch = 10;
    readonly IAmazonSQS _sqs;
    readonly string _url;
    readonly Channel<(string Handle, TaskCompletionSource Done)> _channel = Channel.CreateUnbounded<(string, TaskCompletionSource)>();
    readonly Task _loop;

    public DeleteBatcher(IAmazonSQS sqs, string url)
    {
        _sqs = sqs;
        _url = url;
        _loop = Task.Run(RunAsync);
    }

    public Task DeleteAsync(string receiptHandle, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_channel.Writer.TryWrite((receiptHandle, done)))
            return _sqs.DeleteMessageAsync(_url, receiptHandle, cancellationToken);
        return done.Task;
    }

    async Task RunAsync()
    {
        var batch = new List<(string Handle, TaskCompletionSource Done)>(MaxBatch);
        while (await _channel.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _channel.Reader.TryRead(out var item))
                batch.Add(item);
            if (batch.Count == 0)
                continue;
            await FlushAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    async Task FlushAsync(List<(string Handle, TaskCompletionSource Done)> batch)
    {
        try
        {
            TransportMetrics.DeleteRequests.Add(1);
            var response = await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
            {
                QueueUrl = _url,
                Entries = batch.Select((b, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), b.Handle)).ToList(),
            }).ConfigureAwait(false);
            var failed = (response.Failed ?? []).ToDictionary(f => int.Parse(f.Id, CultureInfo.InvariantCulture));
            for (var i = 0; i < batch.Count; i++)
            {
                if (failed.TryGetValue(i, out var f))
                    batch[i].Done.TrySetException(new AmazonSQSException($"delete failed: {f.Code} {f.Message}") { ErrorCode = f.Code });
                else
                    batch[i].Done.TrySetResult();
            }
        }
        catch (Exception ex)
        {
            foreach (var item in batch)
                item.Done.TrySetException(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }
}
