using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Grants topics the right to deliver to a queue by merging them into the queue's <see cref="QueuePolicy"/>. It
/// remembers every topic this process has granted per queue, so each write carries all of them.
/// </summary>
sealed class QueuePolicyWriter(IAmazonSQS sqs, bool createEntities)
{
    const int MaxAttempts = 5;
    readonly ConcurrentDictionary<string, HashSet<string>> _sources = new(StringComparer.Ordinal);

    public async Task AllowAsync(QueueInfo queue, string topicArn, CancellationToken cancellationToken)
    {
        var sources = _sources.GetOrAdd(queue.Name, _ => []);
        string[] arns;
        lock (sources)
        {
            if (!sources.Add(topicArn))
                return;
            arns = sources.Order(StringComparer.Ordinal).ToArray();
        }

        if (!createEntities)
            return;

        // Read, merge, write, then read back: SQS has no compare-and-set, so two hosts writing at once could each
        // drop the other's topic; the one that finds its topics missing writes again.
        for (var attempt = 1; ; attempt++)
        {
            var current = await PolicyOfAsync(queue, cancellationToken).ConfigureAwait(false);
            if (arns.All(QueuePolicy.AllowedTopics(current).Contains))
                return;
            await sqs.SetQueueAttributesAsync(queue.Url, new Dictionary<string, string> { ["Policy"] = QueuePolicy.Merge(current, queue.Arn, arns) },
                cancellationToken)
                .ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 120)), cancellationToken).ConfigureAwait(false);
            var written = QueuePolicy.AllowedTopics(await PolicyOfAsync(queue, cancellationToken).ConfigureAwait(false));
            if (arns.All(written.Contains))
                return;
            if (attempt >= MaxAttempts)
                throw new InvalidOperationException($"the policy of queue {queue.Name} kept losing topics " +
                    $"{string.Join(", ", arns.Where(a => !written.Contains(a)))}");
        }
    }

    async Task<string?> PolicyOfAsync(QueueInfo queue, CancellationToken cancellationToken)
    {
        var read = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = queue.Url, AttributeNames = ["Policy"] }, cancellationToken)
            .ConfigureAwait(false);
        return read.Attributes?.GetValueOrDefault("Policy");
    }
}
