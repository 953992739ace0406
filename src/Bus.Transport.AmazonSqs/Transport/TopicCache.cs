using Bus.Transport.AmazonSqs.Sns;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Topic ARNs by name, each resolved once per process, so that a host's start-up never storms CreateTopic or pages
/// through ListTopics. A host that may create entities uses CreateTopic (idempotent); one that may not, and knows its
/// account (<see cref="AmazonSqsHostSettings.AccountId"/>), builds the ARN and calls nothing, so infrastructure as code
/// stays the only thing that creates topics. Without the account it falls back to CreateTopic.
/// </summary>
sealed class TopicCache(SnsClient sns, AmazonSqsHostSettings settings)
{
    readonly LookupCache<string> _arns = new();

    public Task<string> GetArnAsync(string name, CancellationToken cancellationToken) =>
        _arns.GetAsync(name, () =>
        {
            if (!settings.CreateEntities && !string.IsNullOrEmpty(settings.AccountId))
                return Task.FromResult(AwsArns.Topic(settings.Region, settings.AccountId, name));
            var attributes = EntityNames.IsFifo(name)
                ? new Dictionary<string, string> { ["FifoTopic"] = "true", ["ContentBasedDeduplication"] = "false" }
                : null;
            return sns.CreateTopicAsync(name, attributes, cancellationToken);
        });

    public void Forget(string name) => _arns.Forget(name);
}
