using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using Bus.Transport.AmazonSqs.Sns;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// The transport's one connection to AWS, shared by every endpoint of a host: the SQS and SNS clients and the
/// operations the transport makes with them. What is looked up once lives in <see cref="QueueCache"/> and
/// <see cref="TopicCache"/>, topic grants in <see cref="QueuePolicyWriter"/>, deletes in one
/// <see cref="DeleteBatcher"/> per queue. Thread-safe.
/// </summary>
public sealed class SqsEntityClient : IAsyncDisposable
{
    readonly QueueCache _queues;
    readonly TopicCache _topics;
    readonly QueuePolicyWriter _policies;
    readonly LookupCache<bool> _subscriptions = new();
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
        _queues = new QueueCache(Sqs, settings.CreateEntities);
        _topics = new TopicCache(Sns, settings);
        _policies = new QueuePolicyWriter(Sqs, settings.CreateEntities);
    }

    public AmazonSqsHostSettings Settings { get; }
    public IAmazonSQS Sqs { get; }
    public SnsClient Sns { get; }

    /// <summary>The queue's URL and ARN, creating the queue (and its redrive queue) when allowed and missing.</summary>
    public Task<QueueInfo> GetQueueAsync(string name, QueueOptions? create, CancellationToken cancellationToken = default) =>
        _queues.GetAsync(name, create, cancellationToken);

    public Task<string> GetTopicArnAsync(string name, CancellationToken cancellationToken = default) =>
        _topics.GetArnAsync(name, cancellationToken);

    /// <summary>
    /// Subscribes the queue to the topic (once per process) and lets the topic send to the queue; nothing when the host may
    /// not create entities (infrastructure as code made the subscription). Subscribe is idempotent, so a restart needs no
    /// listing; only a subscription whose attributes changed is looked up and mended (which needs
    /// <c>sns:ListSubscriptionsByTopic</c> and <c>sns:SetSubscriptionAttributes</c>, outside the generated policies).
    /// </summary>
    public Task SubscribeAsync(string topicName, string queueName, bool rawMessageDelivery, string? filterPolicy,
        CancellationToken cancellationToken = default) =>
        !Settings.CreateEntities ? Task.CompletedTask : _subscriptions.GetAsync($"{topicName}\n{queueName}", async () =>
        {
            var topicArn = await GetTopicArnAsync(topicName, cancellationToken).ConfigureAwait(false);
            var queue = await GetQueueAsync(queueName, null, cancellationToken).ConfigureAwait(false);
            var attributes = new Dictionary<string, string> { ["RawMessageDelivery"] = rawMessageDelivery ? "true" : "false" };
            if (!string.IsNullOrWhiteSpace(filterPolicy))
                attributes["FilterPolicy"] = filterPolicy;

            try
            {
                await Sns.SubscribeAsync(topicArn, "sqs", queue.Arn, attributes, cancellationToken).ConfigureAwait(false);
            }
            catch (SnsException ex) when (ex.Code == "InvalidParameter" && ex.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase))
            {
                var existing = (await Sns.ListSubscriptionsByTopicAsync(topicArn, cancellationToken).ConfigureAwait(false))
                    .FirstOrDefault(s => s.Protocol == "sqs" && s.Endpoint == queue.Arn)
                    ?? throw new InvalidOperationException($"SNS says {queueName}'s subscription to {topicName} exists, yet lists none", ex);
                foreach (var (key, value) in attributes)
                    await Sns.SetSubscriptionAttributesAsync(existing.SubscriptionArn, key, value, cancellationToken).ConfigureAwait(false);
            }

            await _policies.AllowAsync(queue, topicArn, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public async Task SendAsync(string queueName, SendMessageRequest request, CancellationToken cancellationToken)
    {
        // A sender looks its target up and never creates it: the receiver creates its queue with its own settings, and a
        // requester's deleted temporary queue must stay deleted. Until the queue exists the send fails (the outbox retries).
        var queue = await GetQueueAsync(queueName, null, cancellationToken).ConfigureAwait(false);
        request.QueueUrl = queue.Url;
        try
        {
            await Sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
            TransportMetrics.SendRequests.Add(1);
        }
        catch (QueueDoesNotExistException)
        {
            _queues.Forget(queueName);
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
            _topics.Forget(topicName);
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

    public async ValueTask DisposeAsync()
    {
        foreach (var deleter in _deleters.Values)
            await deleter.DisposeAsync().ConfigureAwait(false);
        Sqs.Dispose();
        Sns.Dispose();
    }
}
