using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;
using Bus.Shared;
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
    readonly Uri _sqsEndpoint;
    readonly Uri _snsEndpoint;

    public SqsEntityClient(AmazonSqsHostSettings settings)
    {
        Settings = settings;
        var credentials = settings.Credentials ?? Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentials();
        Sqs = CreateSqsClient(credentials, settings.Region, settings.ServiceUrl);
        Sns = new SnsClient(credentials, settings.Region, settings.ServiceUrl);
        _queues = new QueueCache(Sqs, settings.CreateEntities);
        _topics = new TopicCache(Sns, settings);
        _policies = new QueuePolicyWriter(Sqs, settings.CreateEntities);
        _sqsEndpoint = TransportTracing.Endpoint("sqs", settings);
        _snsEndpoint = TransportTracing.Endpoint("sns", settings);
    }

    /// <summary>An SQS client for the region, or for an emulator's service URL (signed for the region).</summary>
    public static AmazonSQSClient CreateSqsClient(Amazon.Runtime.AWSCredentials credentials, string region, Uri? serviceUrl, int maxErrorRetry = 3)
    {
        var config = new AmazonSQSConfig { MaxErrorRetry = maxErrorRetry };
        if (serviceUrl is not null)
        {
            config.ServiceURL = serviceUrl.ToString();
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }

        return new AmazonSQSClient(credentials, config);
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
        using var activity = TransportTracing.StartProducer(TransportTracing.Sqs, "send", queueName, "aws.sqs.queue.url", queue.Url, _sqsEndpoint);
        if (activity is not null)
        {
            request.MessageAttributes ??= [];
            var carried = request.MessageAttributes;
            foreach (var (name, value) in TraceContext(activity, carried.Count, n => carried.TryGetValue(n, out var v) ? v.StringValue : null))
                request.MessageAttributes[name] = new MessageAttributeValue { DataType = "String", StringValue = value };
        }

        try
        {
            var response = await Sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("messaging.message.id", response.MessageId);
            TransportMetrics.SendRequests.Add(1);
        }
        catch (Exception ex)
        {
            SpanErrors.Record(activity, ex);
            if (ex is QueueDoesNotExistException)
                _queues.Forget(queueName);
            throw;
        }
    }

    /// <summary>Publishes to the topic inside a producer span whose context the message carries; the SNS message id.</summary>
    public async Task<string> PublishAsync(string topicName, string body, IReadOnlyDictionary<string, SnsAttribute> attributes, string? groupId,
        string? deduplicationId, CancellationToken cancellationToken)
    {
        var arn = await GetTopicArnAsync(topicName, cancellationToken).ConfigureAwait(false);
        using var activity = TransportTracing.StartProducer(TransportTracing.Sns, "publish", topicName, "aws.sns.topic.arn", arn, _snsEndpoint);
        if (activity is not null)
        {
            var traced = attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
            foreach (var (name, value) in TraceContext(activity, traced.Count, n => traced.TryGetValue(n, out var v) ? v.StringValue : null))
                traced[name] = new SnsAttribute("String", value);
            attributes = traced;
        }

        try
        {
            var messageId = await Sns.PublishAsync(arn, body, attributes, groupId, deduplicationId, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("messaging.message.id", messageId);
            TransportMetrics.PublishRequests.Add(1);
            return messageId;
        }
        catch (Exception ex)
        {
            SpanErrors.Record(activity, ex);
            if (ex is SnsNotFoundException)
                _topics.Forget(topicName);
            throw;
        }
    }

    public async Task<IReadOnlyList<Message>> ReceiveAsync(QueueInfo queue, int maxMessages, int waitTimeSeconds, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
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
        {
            TransportMetrics.MessagesReceived.Add(messages.Count, TransportMetrics.Queue(queue.Name));
            TransportTracing.Received(queue.Name, queue.Url, _sqsEndpoint, started, messages.Count);
            var oldest = 0.0;
            foreach (var message in messages)
            {
                if (message.Attributes?.GetValueOrDefault("SentTimestamp") is { } sent && long.TryParse(sent, out var sentMs))
                {
                    var lag = Math.Max(0, (DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(sentMs)).TotalSeconds);
                    TransportMetrics.Lag.Record(lag, TransportMetrics.Queue(queue.Name));
                    oldest = Math.Max(oldest, lag);
                }
            }

            TransportMetrics.SampleOldestAge(queue.Name, oldest);
        }

        return messages;
    }

    /// <summary>Samples the queue's depth, in-flight and delayed counts for the gauges.</summary>
    public async Task SampleDepthAsync(QueueInfo queue, CancellationToken cancellationToken)
    {
        var response = await Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = queue.Url,
            AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        }, cancellationToken).ConfigureAwait(false);
        long Count(string name) => response.Attributes?.GetValueOrDefault(name) is { } value && long.TryParse(value, out var n) ? n : 0;
        TransportMetrics.SampleDepth(queue.Name, Count("ApproximateNumberOfMessages"), Count("ApproximateNumberOfMessagesNotVisible"),
            Count("ApproximateNumberOfMessagesDelayed"));
    }

    /// <summary>The span that processes one message, child of the span that sent it (its traceparent and tracestate attributes).</summary>
    internal Activity? StartProcess(QueueInfo queue, string messageId, string? traceparent, string? tracestate) =>
        TransportTracing.StartProcess(queue.Name, queue.Url, _sqsEndpoint, messageId, traceparent, tracestate);

    public async Task DeleteAsync(QueueInfo queue, string receiptHandle, CancellationToken cancellationToken)
    {
        using var activity = TransportTracing.StartSettle("delete", queue.Name, queue.Url, _sqsEndpoint);
        try
        {
            await _deleters.GetOrAdd(queue.Url, url => new DeleteBatcher(Sqs, url)).DeleteAsync(receiptHandle, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SpanErrors.Record(activity, ex);
            throw;
        }
    }

    public async Task ChangeVisibilityAsync(QueueInfo queue, string receiptHandle, int seconds, CancellationToken cancellationToken)
    {
        if (seconds > 0)
            TransportMetrics.VisibilityExtensions.Add(1, TransportMetrics.Queue(queue.Name));
        // Handing a message back (visibility 0) settles this delivery; an extension does not.
        using var activity = seconds == 0 ? TransportTracing.StartSettle("change_visibility", queue.Name, queue.Url, _sqsEndpoint) : null;
        try
        {
            await Sqs.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest
            {
                QueueUrl = queue.Url,
                ReceiptHandle = receiptHandle,
                VisibilityTimeout = Math.Clamp(seconds, 0, 43_200),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SpanErrors.Record(activity, ex);
            throw;
        }
    }

    /// <summary>
    /// The W3C trace context of a producer span, as message attributes: <c>traceparent</c> always (replacing the one
    /// MassTransit's send span put there), <c>tracestate</c> when there is one and the 10-attribute limit leaves room. A
    /// message from an outbox brings the tracestate of the trace it was stored in; the span takes it on.
    /// </summary>
    static IEnumerable<(string Name, string Value)> TraceContext(Activity activity, int count, Func<string, string?> existing)
    {
        if (string.IsNullOrEmpty(activity.TraceStateString) && existing(PlainJsonIngress.TraceStateAttribute) is { Length: > 0 } carried)
            activity.TraceStateString = carried;
        // SQS and SNS take at most 10 attributes: trace context never pushes a message over (a moved message may be full).
        var free = 10 - count;
        if (existing(SqsSendTransportContext.TraceParentAttribute) is null && free-- <= 0)
            yield break;
        yield return (SqsSendTransportContext.TraceParentAttribute, activity.Id!);
        if (activity.TraceStateString is { Length: > 0 } state && (existing(PlainJsonIngress.TraceStateAttribute) is not null || free > 0))
            yield return (PlainJsonIngress.TraceStateAttribute, state);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var deleter in _deleters.Values)
            await deleter.DisposeAsync().ConfigureAwait(false);
        Sqs.Dispose();
        Sns.Dispose();
    }
}
