using Bus.Transport.AmazonSqs.Sns;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Topic ARNs by name, each created (CreateTopic is idempotent) once per process, so that a host's start-up never
/// storms CreateTopic or pages through ListTopics.
/// </summary>
sealed class TopicCache(SnsClient sns)
{
    readonly LookupCache<string> _arns = new();

    public Task<string> GetArnAsync(string name, CancellationToken cancellationToken) =>
        _arns.GetAsync(name, () =>
        {
            var attributes = EntityNames.IsFifo(name)
                ? new Dictionary<string, string> { ["FifoTopic"] = "true", ["ContentBasedDeduplication"] = "false" }
                : null;
            return sns.CreateTopicAsync(name, attributes, cancellationToken);
        });

    public void Forget(string name) => _arns.Forget(name);
}
