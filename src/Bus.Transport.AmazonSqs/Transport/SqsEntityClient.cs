using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Bus.Transport.AmazonSqs.Sns;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// The transport's one connection to AWS, shared by every endpoint of a host: the SQS and SNS clients,
/// caches of queue URLs and topic ARNs (so start-up never storms CreateTopic/ListTopics), subscriptions
/// made once, and batched deletes. Thread-safe.
/// </summary>
public sealed class SqsEntityClient : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, Lazy<Task<QueueInfo>>> _queues = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, Lazy<Task<string>>> _topics = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, Lazy<Task>> _subscriptions = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, HashSet<string>> _queueSources = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, DeleteBatcher> _deleters = new(StringComparer.Ordinal);

    public SqsEntityClient(AmazonSqsHostSettings settings)
    {
        Settings = settings;
        var credentials = settings.Credentials ?? Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentials();
        var config = new AmazonSQSConfig { MaxErrorRetry = 3 };
        if (settings.ServiceUrl is not null)
        {
            config.ServiceURL = settings.ServiceUrl.ToString();
            config.AuthenticationRegion = settings.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.Region);
        }

        Sqs = new AmazonSQSClient(credentials, config);
        Sns = new SnsClient(credentials, settings.Region, settings.ServiceUrl);
    }

    public AmazonSqsHostSettings Settings { get; }
    public IAmazonSQS Sqs { get; }
    public SnsClient Sns { get; }

    /// <summary>The queue's URL and ARN, creating the queue (and its redrive queue) when allowed and missing.</summary>
    public Task<QueueInfo> GetQueueAsync(string name, QueueOptions? create, CancellationToken cancellationToken = default) =>
        Cached(_queues, name, () => LoadQueueAsync(name, create, cancellationToken));

    public Task<string> GetTopicArnAsync(string name, CancellationToken cancellationToken = default) =>
        Cached(_topics, name, async () =>
        {
            var attributes = EntityNames.IsFifo(name)
                ? new Dictionary<string, string> { ["FifoTopic"] = "true", ["ContentBasedDeduplication"] = "false" }
                : null;
            return await Sns.CreateTopicAsync(name, attributes, cancellationToken).ConfigureAwait(false);
        });

    /// <summary>Subscribes the queue to the topic (once per process) and lets the topic send to the queue.</summary>
    public Task SubscribeAsync(string topicName, string queueName, bool rawMessageDelivery, string? filterPolicy,
        CancellationToken cancellationToken = default) =>
        Cached(_subscriptions, $"{topicName}\n{queueName}", async () =>
        {
            var topicArn = await GetTopicArnAsync(topicName, cancellationToken).ConfigureAwait(false);
            var queue = await GetQueueAsync(queueName, null, cancellationToken).ConfigureAwait(false);
            var attributes = new Dictionary<string, string> { ["RawMessageDelivery"] = rawMessageDelivery ? "true" : "false" };
            if (!string.IsNullOrWhiteSpace(filterPolicy))
                attributes["FilterPolicy"] = filterPolicy;

            var existing = (await Sns.ListSubscriptionsByTopicAsync(topicArn, cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(s => s.Protocol == "sqs" && s.Endpoint == queue.Arn);
            if (existing is null)
            {
                await Sns.SubscribeAsync(topicArn, "sqs", queue.Arn, attributes, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                foreach (var (key, value) in attributes)
                    await Sns.SetSubscriptionAttributesAsync(existing.SubscriptionArn, key, value, cancellationToken).ConfigureAwait(false);
            }

            await AllowTopicAsync(queue, topicArn, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public async Task SendAsync(string queueName, SendMessageRequest request, CancellationToken cancellationToken)
    {
        var queue = await GetQueueAsync(queueName, Settings.CreateEntities ? new QueueOptions() : null, cancellationToken).ConfigureAwait(false);
        request.QueueUrl = queue.Url;
        try
        {
            await Sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
            TransportMetrics.SendRequests.Add(1);
        }
        catch (QueueDoesNotExistException)
        {
            _queues.TryRemove(queueName, out _);
            throw;
        }
    }

    public async Task PublishAsync(string topicName, string body, IReadOnlyDictionary<string, SnsAttribute> attributes, string? groupId,
        string? deduplicationId, CancellationToken cancellationToken)
    {
        var arn = await GetTopicArnAsync(topicName, cancellationToken).ConfigureAwait(false);
        try
        {
            await Sns.PublishAsync(arn, body, attributes, groupId, deduplicationId, cancellationToken).ConfigureAwait(false);
            TransportMetrics.PublishRequests.Add(1);
        }
        catch (SnsNotFoundException)
        {
            _topics.TryRemove(topicName, out _);
            throw;
        }
    }

    public async Task<IReadOnlyList<Message>> ReceiveAsync(QueueInfo queue, int maxMessages, int waitTimeSeconds, CancellationToken cancellationToken)
    {
        var response = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = queue.Url,
            MaxNumberOfMessages = Math.Clamp(maxMessages, 1, 10),
            WaitTimeSeconds = waitTimeSeconds,
            // The emulator (and the SDK's MD5 check) need All here; a subset breaks the check.
            MessageAttributeNames = ["All"],
            MessageSystemAttributeNames = ["All"],
        }, cancellationToken).ConfigureAwait(false);
        TransportMetrics.ReceiveRequests.Add(1);
        var messages = response.Messages ?? [];
        if (messages.Count == 0)
            TransportMetrics.EmptyReceives.Add(1);
        else
            TransportMetrics.MessagesReceived.Add(messages.Count);
        return messages;
    }

    public Task DeleteAsync(QueueInfo queue, string receiptHandle, CancellationToken cancellationToken) =>
        _deleters.GetOrAdd(queue.Url, url => new DeleteBatcher(Sqs, url)).DeleteAsync(receiptHandle, cancellationToken);

    public Task ChangeVisibilityAsync(QueueInfo queue, string receiptHandle, int seconds, CancellationToken cancellationToken)
    {
        if (seconds > 0)
            TransportMetrics.VisibilityExtensions.Add(1);
        return Sqs.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest
        {
            QueueUrl = queue.Url,
            ReceiptHandle = receiptHandle,
            VisibilityTimeout = Math.Clamp(seconds, 0, 43_200),
        }, cancellationToken);
    }

    async Task<QueueInfo> LoadQueueAsync(string name, QueueOptions? create, CancellationToken cancellationToken)
    {
        string url;
        if (create is not null && Settings.CreateEntities)
        {
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["VisibilityTimeout"] = Invariant(create.VisibilityTimeoutSeconds),
                ["ReceiveMessageWaitTimeSeconds"] = Invariant(create.ReceiveWaitTimeSeconds),
                ["MessageRetentionPeriod"] = Invariant(create.MessageRetentionSeconds),
            };
            if (EntityNames.IsFifo(name))
            {
                attributes["FifoQueue"] = "true";
                attributes["ContentBasedDeduplication"] = "false";
            }

            if (create.RedriveQueue is not null)
            {
                var dlq = await GetQueueAsync(create.RedriveQueue, new QueueOptions { MessageRetentionSeconds = 14 * 24 * 3600 }, cancellationToken)
                    .ConfigureAwait(false);
                attributes["RedrivePolicy"] = JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["deadLetterTargetArn"] = dlq.Arn,
                    ["maxReceiveCount"] = Invariant(create.MaxReceiveCount),
                });
            }

            if (create.Attributes is not null)
            {
                foreach (var (key, value) in create.Attributes)
                    attributes[key] = value;
            }

            try
            {
                url = (await Sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes }, cancellationToken)
                    .ConfigureAwait(false)).QueueUrl;
            }
            catch (AmazonSQSException ex) when (ex.ErrorCode is "QueueAlreadyExists" or "QueueNameExists" || ex is QueueNameExistsException)
            {
                // The queue exists with other attributes (changed by hand or an older version): use it as it is.
                url = (await Sqs.GetQueueUrlAsync(name, cancellationToken).ConfigureAwait(false)).QueueUrl;
            }
        }
        else
        {
            url = (await Sqs.GetQueueUrlAsync(name, cancellationToken).ConfigureAwait(false)).QueueUrl;
        }

        var read = await Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = url,
            AttributeNames = ["QueueArn", "VisibilityTimeout", "Policy"],
        }, cancellationToken).ConfigureAwait(false);
        var arn = read.Attributes.TryGetValue("QueueArn", out var a) ? a : throw new InvalidOperationException($"queue {name} has no QueueArn");
        var visibility = read.Attributes.TryGetValue("VisibilityTimeout", out var v) && int.TryParse(v, CultureInfo.InvariantCulture, out var seconds)
            ? seconds : 30;
        return new QueueInfo(name, url, arn, visibility);
    }

    async Task AllowTopicAsync(QueueInfo queue, string topicArn, CancellationToken cancellationToken)
    {
        var sources = _queueSources.GetOrAdd(queue.Name, _ => []);
        string[] arns;
        lock (sources)
        {
            if (!sources.Add(topicArn))
                return;
            arns = sources.Order(StringComparer.Ordinal).ToArray();
        }

        if (!Settings.CreateEntities)
            return;

        // Read, merge, write, then read back: SQS has no compare-and-set, so two hosts writing at once could each
        // drop the other's topic; the one that finds its topics missing writes again.
        for (var attempt = 1; ; attempt++)
        {
            var current = await PolicyOfAsync(queue, cancellationToken).ConfigureAwait(false);
            if (arns.All(QueuePolicy.AllowedTopics(current).Contains))
                return;
            await Sqs.SetQueueAttributesAsync(queue.Url, new Dictionary<string, string> { ["Policy"] = QueuePolicy.Merge(current, queue.Arn, arns) },
                cancellationToken)
                .ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 120)), cancellationToken).ConfigureAwait(false);
            var written = QueuePolicy.AllowedTopics(await PolicyOfAsync(queue, cancellationToken).ConfigureAwait(false));
            if (arns.All(written.Contains))
                return;
            if (attempt >= 5)
                throw new InvalidOperationException($"the policy of queue {queue.Name} kept losing topics " +
                    $"{string.Join(", ", arns.Where(a => !written.Contains(a)))}");
        }
    }

    async Task<string?> PolicyOfAsync(QueueInfo queue, CancellationToken cancellationToken)
    {
        var read = await Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = queue.Url, AttributeNames = ["Policy"] }, cancellationToken)
            .ConfigureAwait(false);
        return read.Attributes?.GetValueOrDefault("Policy");
    }

    static async Task<T> Cached<T>(ConcurrentDictionary<string, Lazy<Task<T>>> cache, string key, Func<Task<T>> factory)
    {
        var lazy = cache.GetOrAdd(key, _ => new Lazy<Task<T>>(factory, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            // A failed look-up is not cached: the next caller tries again (the endpoint may be back).
            cache.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(key, lazy));
            throw;
        }
    }

    static async Task Cached(ConcurrentDictionary<string, Lazy<Task>> cache, string key, Func<Task<bool>> factory)
    {
        var lazy = cache.GetOrAdd(key, _ => new Lazy<Task>(factory, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            cache.TryRemove(new KeyValuePair<string, Lazy<Task>>(key, lazy));
            throw;
        }
    }

    static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>True for failures that go away by themselves: network, throttling, 5xx.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        SnsException sns => sns.IsTransient,
        AmazonServiceException aws => aws.StatusCode >= HttpStatusCode.InternalServerError || aws.StatusCode == HttpStatusCode.TooManyRequests
            || aws.ErrorCode is "Throttling" or "ThrottlingException" or "RequestThrottled" or "ServiceUnavailable" or "InternalError"
            || aws.InnerException is HttpRequestException or IOException or TimeoutException,
        HttpRequestException or IOException or TimeoutException => true,
        AmazonClientException client => client.InnerException is HttpRequestException or IOException or TimeoutException,
        _ => false,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var deleter in _deleters.Values)
            await deleter.DisposeAsync().ConfigureAwait(false);
        Sqs.Dispose();
        Sns.Dispose();
    }

    /// <summary>Collects deletes for one queue into DeleteMessageBatch calls of up to 10.</summary>
    sealed class DeleteBatcher : IAsyncDisposable
    {
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
            var batch = new List<(string Handle, TaskCompletionSource Done)>(10);
            while (await _channel.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < 10 && _channel.Reader.TryRead(out var item))
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
}
