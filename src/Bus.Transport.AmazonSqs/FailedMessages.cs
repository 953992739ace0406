using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Bus.Transport.AmazonSqs.Transport;
using MassTransit;

namespace Bus.Transport.AmazonSqs;

/// <summary>
/// Reads and redrives the failure queues of a receive endpoint: a look without taking anything away, and a move back
/// to the endpoint's queue once the cause is fixed (the fault attributes are dropped, the content and message type
/// headers kept, so the message reads as it did before it failed).
/// </summary>
public sealed class FailedMessages(SqsEntityClient client)
{
    const int LookTimeoutSeconds = 30;

    /// <summary>The physical name of <paramref name="queue"/>'s failure queue of that kind (the client's scope applied).</summary>
    public string QueueName(string queue, FailureQueue kind) => EntityNames.Queue(FailureQueues.NameFor(queue, kind), client.Settings.Scope);

    /// <summary>Up to <paramref name="max"/> messages, oldest first as SQS returns them; they stay in the queue (visible again at once).</summary>
    public async Task<IReadOnlyList<FailedMessage>> PeekAsync(string queue, FailureQueue kind, int max, CancellationToken cancellationToken)
    {
        var name = QueueName(queue, kind);
        var info = await ExistingQueueAsync(name, cancellationToken).ConfigureAwait(false);
        if (info is null)
            return [];
        var seen = new List<Message>();
        try
        {
            await ReceiveAsync(info, max, seen, cancellationToken).ConfigureAwait(false);
            return seen.Select(m => Describe(name, m)).ToList();
        }
        finally
        {
            foreach (var message in seen)
                await client.ChangeVisibilityAsync(info, message.ReceiptHandle, 0, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Moves up to <paramref name="max"/> of the messages in the failure queue now back to <paramref name="queue"/>: each
    /// is sent first, then deleted from the failure queue (a crash in between leaves a copy in both: at least once,
    /// never lost). One that fails again while this runs is left for the next redrive. Returns how many moved.
    /// </summary>
    public async Task<int> RedriveAsync(string queue, FailureQueue kind, int max, CancellationToken cancellationToken)
    {
        var info = await ExistingQueueAsync(QueueName(queue, kind), cancellationToken).ConfigureAwait(false);
        if (info is null)
            return 0;
        var target = await ExistingQueueAsync(EntityNames.Queue(queue, client.Settings.Scope), cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"the queue {EntityNames.Queue(queue, client.Settings.Scope)} does not exist: nothing to move the " +
                "messages back to");
        // Only what is there now: a message that fails again at once comes back while this runs, and must not be
        // moved round and round. So: at most the count at the start, and a message that failed after the start
        // (its fault timestamp says so) ends the run.
        var started = DateTimeOffset.UtcNow;
        var depth = await client.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = info.Url,
            AttributeNames = ["ApproximateNumberOfMessages"]
        },
            cancellationToken).ConfigureAwait(false);
        max = Math.Min(max, depth.ApproximateNumberOfMessages);
        var moved = 0;
        var batch = new List<Message>();
        while (moved < max)
        {
            batch.Clear();
            await ReceiveAsync(info, Math.Min(10, max - moved), batch, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
                break;
            var again = batch.Where(m => Describe(info.Name, m).FailedAt >= started).ToList();
            foreach (var message in again)
                await client.ChangeVisibilityAsync(info, message.ReceiptHandle, 0, CancellationToken.None).ConfigureAwait(false);
            foreach (var message in batch.Except(again))
            {
                var request = new SendMessageRequest
                {
                    QueueUrl = target.Url,
                    MessageBody = message.Body,
                    MessageAttributes = (message.MessageAttributes ?? [])
                        .Where(a => !FailureQueues.FaultAttributes.Contains(a.Key))
                        .ToDictionary(a => a.Key, a => a.Value),
                };
                if (EntityNames.IsFifo(target.Name))
                {
                    request.MessageGroupId = message.Attributes?.GetValueOrDefault("MessageGroupId") ?? "default";
                    request.MessageDeduplicationId = message.MessageId;
                }

                await client.Sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
                await client.Sqs.DeleteMessageAsync(info.Url, message.ReceiptHandle, cancellationToken).ConfigureAwait(false);
                moved++;
            }

            if (again.Count > 0)
                break;
        }

        return moved;
    }

    async Task ReceiveAsync(QueueInfo queue, int max, List<Message> into, CancellationToken cancellationToken)
    {
        while (into.Count < max)
        {
            var response = await client.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = queue.Url,
                MaxNumberOfMessages = Math.Clamp(max - into.Count, 1, 10),
                VisibilityTimeout = LookTimeoutSeconds,
                WaitTimeSeconds = 0,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = ["All"],
            }, cancellationToken).ConfigureAwait(false);
            var messages = response.Messages ?? [];
            if (messages.Count == 0)
                return;
            into.AddRange(messages);
        }
    }

    async Task<QueueInfo?> ExistingQueueAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetQueueAsync(name, create: null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is QueueDoesNotExistException
            || ex is AmazonSQSException { ErrorCode: "AWS.SimpleQueueService.NonExistentQueue" or "QueueDoesNotExist" })
        {
            return null;
        }
    }

    static FailedMessage Describe(string queue, Message m)
    {
        string? Attribute(string key) => m.MessageAttributes?.GetValueOrDefault(key)?.StringValue;
        var failedAt = DateTimeOffset.TryParse(Attribute(MessageHeaders.FaultTimestamp), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
            ? at : (DateTimeOffset?)null;
        var receives = int.TryParse(m.Attributes?.GetValueOrDefault("ApproximateReceiveCount"), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n : 0;
        return new FailedMessage(m.MessageId, queue, failedAt, Attribute(MessageHeaders.Reason), Attribute(MessageHeaders.FaultExceptionType),
            Attribute(MessageHeaders.FaultMessage), Attribute(MessageHeaders.FaultInputAddress), receives, m.Body);
    }
}
