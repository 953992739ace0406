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
    readonly ClientContext _client;
    readonly SqsReceiveEndpointContext _context;
    readonly SqsEnvelope _envelope;

    public SqsMessageReceiver(ClientContext client, SqsReceiveEndpointContext context)
        : base(context, StringComparer.Ordinal)
    {
        _client = client;
        _context = context;
        _envelope = SqsEnvelope.For(context);
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
        var sampler = QueueDepthSampler.Start(_client.Client, queue);
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
            if (sampler is not null)
                await sampler.Stop("the receiver stopped").ConfigureAwait(false);
        }
    }

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
        var (body, headers, refused) = _envelope.Open(message, queue.Name);
        using var activity = _client.Client.StartProcess(queue, message.MessageId,
            headers.GetValueOrDefault(SqsSendTransportContext.TraceParentAttribute), headers.GetValueOrDefault(PlainJsonIngress.TraceStateAttribute));
        SqsEnvelope.FollowTrace(headers, activity is not null);
        var lockContext = new SqsReceiveLockContext(_client.Client, queue, message, _context.Settings, _context.InputAddress);
        var context = new SqsReceiveContext(message, body, headers, redelivered, _context, _client);
        try
        {
            if (refused is not null)
            {
                outcome = "refused";
                await SqsMove.Refuse(context, _context, lockContext, refused).ConfigureAwait(false);
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
}
