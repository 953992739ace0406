using System.Text.Json;
using Amazon.SQS.Model;
using Bus.Shared;
using MassTransit;
using MassTransit.Transports;
using MassTransit.Util;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Long-polls one queue and dispatches each message to the endpoint's pipe. MassTransit's request-rate
/// algorithm keeps up to PrefetchCount messages in flight with several pollers (not capped at 10), and the
/// consumer agent tracks messages by SQS message id: a copy delivered again while the first is still
/// being processed joins it instead of running twice, and both receipts are deleted on success.
/// </summary>
sealed class SqsMessageReceiver : ConsumerAgent<string>
{
    /// <summary>The message type given to plain JSON whose type cannot be told: no consumer takes it, so it is skipped.</summary>
    public const string UnknownMessageType = "urn:message:Bus.Transport.AmazonSqs:UnknownPlainJson";

    readonly ClientContext _client;
    readonly SqsReceiveEndpointContext _context;
    readonly Dictionary<string, string> _typesByTopic;
    readonly Dictionary<string, (Type Type, IReadOnlyList<string> FilterAttributes)> _ingressByTopic;

    public SqsMessageReceiver(ClientContext client, SqsReceiveEndpointContext context)
        : base(context, StringComparer.Ordinal)
    {
        _client = client;
        _context = context;
        _typesByTopic = context.Settings.Subscriptions
            .Where(s => s.MessageTypeUrn is not null)
            .ToDictionary(s => context.Host.PhysicalTopicName(s.TopicName), s => s.MessageTypeUrn!, StringComparer.Ordinal);
        _ingressByTopic = context.Settings.Subscriptions
            .Where(s => s.PlainJsonType is not null)
            .ToDictionary(s => context.Host.PhysicalTopicName(s.TopicName), s => (s.PlainJsonType!, context.Host.Attributes.NamesFor(s.PlainJsonType!)),
                StringComparer.Ordinal);
        TrySetConsumeTask(Task.Run(Consume));
    }

    async Task Consume()
    {
        var settings = _context.Settings;
        var queue = _context.Queue ?? throw new InvalidOperationException("the queue topology was not configured");
        using var algorithm = new RequestRateAlgorithm(new RequestRateAlgorithmOptions
        {
            PrefetchCount = settings.PrefetchCount,
            ConcurrentResultLimit = settings.ConcurrentMessageLimit ?? settings.PrefetchCount,
            RequestResultLimit = 10,
        });

        var fifo = EntityNames.IsFifo(queue.Name);
        var failures = 0;

        async Task<IEnumerable<Message>> Receive(int limit, CancellationToken token)
        {
            try
            {
                var messages = await _client.Client.ReceiveAsync(queue, limit, settings.WaitTimeSeconds, token).ConfigureAwait(false);
                failures = 0;
                return (IEnumerable<Message>)messages;
            }
            catch (OperationCanceledException)
            {
                return Array.Empty<Message>();
            }
            catch (Exception ex) when (!IsStopping)
            {
                // AWS (or the emulator) unreachable: keep the loop alive and try again with backoff.
                var attempt = Interlocked.Increment(ref failures);
                var delay = Backoff.Exponential(attempt, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
                LogContext.Warning?.Log(ex, "Receive from {Queue} failed (attempt {Attempt}); retrying in {Delay}", queue.Name, attempt, delay);
                try
                {
                    await Task.Delay(delay, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }

                return Array.Empty<Message>();
            }
        }

        SetReady();
        using var sampling = new CancellationTokenSource();
        var interval = _client.Client.Settings.QueueDepthInterval;
        var sampler = interval > TimeSpan.Zero ? Task.Run(() => SampleDepthAsync(queue, interval, sampling.Token)) : Task.CompletedTask;
        try
        {
            while (!IsStopping)
            {
                if (fifo)
                {
                    // FIFO: one group's messages run one after another, in sequence-number order.
                    await algorithm.Run(Receive, (message, _) => Handle(queue, message), GroupOf, InSequence, Stopping).ConfigureAwait(false);
                }
                else
                {
                    await algorithm.Run(Receive, (message, _) => Handle(queue, message), Stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (IsStopping)
        {
        }
        catch (Exception exception)
        {
            LogContext.Error?.Log(exception, "Receive loop of {Queue} faulted", queue.Name);
            throw;
        }
        finally
        {
            await sampling.CancelAsync().ConfigureAwait(false);
            await sampler.ConfigureAwait(false);
        }
    }

    /// <summary>Samples the queue's depth for the gauges while the endpoint receives; a failed sample is logged and tried again.</summary>
    Task SampleDepthAsync(QueueInfo queue, TimeSpan interval, CancellationToken cancellationToken) =>
        Sampling.RunAsync(interval, ct => _client.Client.SampleDepthAsync(queue, ct),
            ex => LogContext.Debug?.Log(ex, "Could not sample the depth of {Queue}", queue.Name), cancellationToken);

    static IEnumerable<IGrouping<string, Message>> GroupOf(IEnumerable<Message> messages) =>
        messages.GroupBy(m => m.Attributes?.GetValueOrDefault("MessageGroupId") ?? string.Empty);

    static IEnumerable<Message> InSequence(IEnumerable<Message> messages) =>
        messages.OrderBy(m => m.Attributes?.GetValueOrDefault("SequenceNumber") ?? string.Empty, SequenceComparer.Instance);

    /// <summary>SQS sequence numbers are decimal strings of up to 128 bits: shorter is smaller, then ordinal.</summary>
    sealed class SequenceComparer : IComparer<string>
    {
        public static readonly SequenceComparer Instance = new();

        public int Compare(string? x, string? y) =>
            (x?.Length ?? 0) != (y?.Length ?? 0) ? (x?.Length ?? 0).CompareTo(y?.Length ?? 0) : string.CompareOrdinal(x, y);
    }

    async Task Handle(QueueInfo queue, Message message)
    {
        if (IsStopping)
        {
            // Received as the endpoint stops: hand it back at once rather than after the visibility timeout.
            await ReleaseAsync(queue, message).ConfigureAwait(false);
            return;
        }

        var redelivered = message.Attributes is not null && message.Attributes.TryGetValue("ApproximateReceiveCount", out var count) && count != "1";
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = "processed";
        if (redelivered)
            TransportMetrics.Redelivered.Add(1, TransportMetrics.Queue(queue.Name));
        var (body, headers, refused) = Unwrap(queue, message);
        using var activity = _client.Client.StartProcess(queue, message.MessageId,
            headers.GetValueOrDefault(SqsSendTransportContext.TraceParentAttribute), headers.GetValueOrDefault(PlainJsonIngress.TraceStateAttribute));
        // MassTransit starts its receive span from MT-Activity-Id when there is one, else under the current span: under
        // the process span when tracing listens (so tracestate flows on), from the sender's traceparent when not.
        if (activity is null && headers.TryGetValue(SqsSendTransportContext.TraceParentAttribute, out var traceparent)
            && !headers.ContainsKey(SqsSendTransportContext.ActivityIdHeader))
            headers[SqsSendTransportContext.ActivityIdHeader] = traceparent;
        else if (activity is not null)
            headers.Remove(SqsSendTransportContext.ActivityIdHeader);
        var lockContext = new SqsReceiveLockContext(_client.Client, queue, message, _context.Settings, _context.InputAddress);
        var context = new SqsReceiveContext(message, body, headers, redelivered, _context, _client);
        try
        {
            if (refused is not null)
            {
                outcome = "refused";
                await RefuseAsync(context, lockContext, refused).ConfigureAwait(false);
            }
            else
            {
                await Dispatch(message.MessageId, context, lockContext).ConfigureAwait(false);
                outcome = context.MovedTo switch { "error" => "faulted", "skipped" => "skipped", _ => outcome };
            }
        }
        catch (Exception exception)
        {
            outcome = "faulted";
            SpanErrors.Record(activity, exception);
            LogContext.Error?.Log(exception, "Dispatch of SQS message {MessageId} from {Queue} faulted", message.MessageId, queue.Name);
        }
        finally
        {
            context.Dispose();
            TransportMetrics.ProcessDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, TransportMetrics.Queue(queue.Name),
                new KeyValuePair<string, object?>("bus.outcome", outcome));
        }
    }

    /// <summary>Moves a refused ingress message to <c>&lt;queue&gt;_error</c> with the reason; no consumer ever sees it.</summary>
    async Task RefuseAsync(SqsReceiveContext context, SqsReceiveLockContext lockContext, string reason)
    {
        LogContext.Warning?.Log("Refused SQS message {MessageId} on {Queue}: {Reason}", context.TransportMessage.MessageId, _context.QueueName, reason);
        try
        {
            await SqsMove.Move(context, _context, _context.ErrorQueueName, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [MessageHeaders.Reason] = "refused",
                [MessageHeaders.FaultExceptionType] = IngressRefusedType,
                [MessageHeaders.FaultMessage] = SqsErrorTransport.Truncate(reason, 4096),
                [MessageHeaders.FaultTimestamp] = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                [MessageHeaders.FaultInputAddress] = _context.InputAddress.ToString(),
            }).ConfigureAwait(false);
            TransportMetrics.Refused.Add(1);
            await lockContext.Complete().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Not moved: it becomes visible again and is refused on the next receive (or reaches the native DLQ).
            await lockContext.Faulted(ex).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The exception type named in the fault attributes of a refused ingress message.</summary>
    public const string IngressRefusedType = "Bus.Transport.AmazonSqs.IngressRefused";

    async Task ReleaseAsync(QueueInfo queue, Message message)
    {
        try
        {
            await _client.Client.ChangeVisibilityAsync(queue, message.ReceiptHandle, 0, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogContext.Debug?.Log(ex, "Could not release message {MessageId}", message.MessageId);
        }
    }

    /// <summary>
    /// The body and headers of a message: MassTransit's own messages carry a Content-Type attribute; an SNS
    /// notification (raw delivery off) is unwrapped; a plain JSON body is given the message type bound to
    /// the topic it came from, so the raw JSON deserializer reads it as that type.
    /// </summary>
    (string Body, Dictionary<string, string> Headers, string? Refused) Unwrap(QueueInfo queue, Message message)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (message.MessageAttributes is not null)
        {
            foreach (var (name, value) in message.MessageAttributes)
            {
                if (value.StringValue is not null)
                    headers[name] = value.StringValue;
            }
        }

        var body = message.Body ?? string.Empty;
        string? topicName = null;
        string? notificationId = null;
        string? refused = null;
        var notification = headers.ContainsKey(MessageHeaders.ContentType) ? null : ReadNotification(body);
        if (notification is not null && _ingressByTopic.TryGetValue(notification.TopicName, out var ingress))
        {
            // An ingress topic: the publisher's words are data. Nothing it says about type or content is believed.
            body = notification.Message;
            topicName = notification.TopicName;
            notificationId = notification.MessageId;
            headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            refused = PlainJsonIngress.Check(body, notification.Attributes, ingress.Type, topicName, ingress.FilterAttributes, headers);
        }
        else if (notification is not null)
        {
            body = notification.Message;
            topicName = notification.TopicName;
            notificationId = notification.MessageId;
            foreach (var (name, value) in notification.Attributes)
                headers[name] = value;
        }

        SetChannel(headers, queue, message, topicName, notificationId);

        if (!headers.ContainsKey(MessageHeaders.ContentType))
        {
            // Plain JSON: the raw deserializer reads it as the type bound to its topic. Without a known topic it
            // would be read as any type a consumer asks for, so it is marked with a type nobody consumes: skipped.
            headers[MessageHeaders.ContentType] = "application/json";
            headers[MessageHeaders.MessageType] = topicName is not null && _typesByTopic.TryGetValue(topicName, out var urn) ? urn : UnknownMessageType;
            // The SNS (or SQS) message id becomes the MassTransit message id, so the inbox and duplicate detection work for plain JSON too.
            var id = notificationId ?? message.MessageId;
            if (Guid.TryParse(id, out _))
                headers[MessageHeaders.MessageId] = id;
        }

        return (body, headers, refused);
    }

    /// <summary>
    /// How the message came, as transport headers a consumer (the audit) can read: the queue, the SQS sender id, and the
    /// SNS topic and message id when SNS wrapped it (raw delivery, used between hosts, hides both). Whatever a sender
    /// wrote under these names is dropped first.
    /// </summary>
    static void SetChannel(Dictionary<string, string> headers, QueueInfo queue, Message message, string? topicName, string? notificationId)
    {
        foreach (var forged in headers.Keys.Where(k => k.StartsWith(SqsTransportHeaders.ChannelPrefix, StringComparison.OrdinalIgnoreCase)).ToList())
            headers.Remove(forged);
        headers[SqsTransportHeaders.Queue] = queue.Name;
        if (topicName is not null)
            headers[SqsTransportHeaders.Topic] = topicName;
        if (notificationId is not null)
            headers[SqsTransportHeaders.SnsMessageId] = notificationId;
        if (message.Attributes?.TryGetValue("SenderId", out var sender) == true && !string.IsNullOrEmpty(sender))
            headers[SqsTransportHeaders.SqsSenderId] = sender;
    }

    sealed record SnsNotification(string Message, string TopicName, string? MessageId, Dictionary<string, string> Attributes);

    static SnsNotification? ReadNotification(string body)
    {
        if (body.Length == 0 || body[0] != '{' || !body.Contains("\"TopicArn\"", StringComparison.Ordinal))
            return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("Type", out var type) || type.GetString() != "Notification"
                || !root.TryGetProperty("TopicArn", out var arn) || !root.TryGetProperty("Message", out var inner))
                return null;

            var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("MessageAttributes", out var map) && map.ValueKind == JsonValueKind.Object)
            {
                foreach (var attribute in map.EnumerateObject())
                {
                    if (attribute.Value.TryGetProperty("Value", out var value) && value.ValueKind == JsonValueKind.String)
                        attributes[attribute.Name] = value.GetString()!;
                }
            }

            var topicArn = arn.GetString() ?? string.Empty;
            var messageId = root.TryGetProperty("MessageId", out var mid) ? mid.GetString() : null;
            return new SnsNotification(inner.ValueKind == JsonValueKind.String ? inner.GetString()! : inner.GetRawText(),
                topicArn[(topicArn.LastIndexOf(':') + 1)..], messageId, attributes);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
