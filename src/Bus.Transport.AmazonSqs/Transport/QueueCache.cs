using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Queue URLs, ARNs and visibility timeouts by name, each looked up (and, when the host may create entities,
/// created with its redrive queue) once per process.
/// </summary>
sealed class QueueCache(IAmazonSQS sqs, bool createEntities)
{
    readonly LookupCache<QueueInfo> _queues = new();

    /// <summary>The queue, created with <paramref name="create"/> when it is missing and the host may create entities.</summary>
    public Task<QueueInfo> GetAsync(string name, QueueOptions? create, CancellationToken cancellationToken) =>
        _queues.GetAsync(name, () => LoadAsync(name, create, cancellationToken));

    public void Forget(string name) => _queues.Forget(name);

    async Task<QueueInfo> LoadAsync(string name, QueueOptions? create, CancellationToken cancellationToken)
    {
        var url = create is not null && (createEntities || create.Temporary)
            ? await CreateAsync(name, create, cancellationToken).ConfigureAwait(false)
            : (await sqs.GetQueueUrlAsync(name, cancellationToken).ConfigureAwait(false)).QueueUrl;

        var read = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = url,
            AttributeNames = ["QueueArn", "VisibilityTimeout"],
        }, cancellationToken).ConfigureAwait(false);
        var arn = read.Attributes.TryGetValue("QueueArn", out var a) ? a : throw new InvalidOperationException($"queue {name} has no QueueArn");
        var visibility = read.Attributes.TryGetValue("VisibilityTimeout", out var v) && int.TryParse(v, CultureInfo.InvariantCulture, out var seconds)
            ? seconds : 30;
        return new QueueInfo(name, url, arn, visibility);
    }

    async Task<string> CreateAsync(string name, QueueOptions create, CancellationToken cancellationToken)
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
            var dlq = await GetAsync(create.RedriveQueue, new QueueOptions { MessageRetentionSeconds = 14 * 24 * 3600 }, cancellationToken)
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
            return (await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes }, cancellationToken)
                .ConfigureAwait(false)).QueueUrl;
        }
        catch (AmazonSQSException ex) when (ex.ErrorCode is "QueueAlreadyExists" or "QueueNameExists" || ex is QueueNameExistsException)
        {
            // The queue exists with other attributes (changed by hand or an older version): use it as it is.
            return (await sqs.GetQueueUrlAsync(name, cancellationToken).ConfigureAwait(false)).QueueUrl;
        }
    }

    static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
