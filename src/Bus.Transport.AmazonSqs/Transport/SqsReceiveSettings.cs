namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Everything about one receive endpoint's queue.</summary>
public sealed class SqsReceiveSettings(string queueName)
{
    readonly List<TopicSubscription> _subscriptions = [];

    /// <summary>The logical queue name (the physical one adds the scope).</summary>
    public string QueueName { get; } = queueName;
    public int WaitTimeSeconds { get; set; } = 20;
    public int VisibilityTimeoutSeconds { get; set; } = 30;
    public int MaxReceiveCount { get; set; } = 5;
    public TimeSpan MaxVisibilityExtension { get; set; } = TimeSpan.FromHours(12);
    public int PrefetchCount { get; set; } = 16;
    public int? ConcurrentMessageLimit { get; set; }

    /// <summary>A queue for this process only (the bus endpoint for responses): deleted when the bus stops.</summary>
    public bool Temporary { get; set; }

    public IReadOnlyList<TopicSubscription> Subscriptions
    {
        get
        {
            lock (_subscriptions)
                return _subscriptions.ToArray();
        }
    }

    public void AddSubscription(TopicSubscription subscription)
    {
        lock (_subscriptions)
        {
            var existing = _subscriptions.FindIndex(s => s.TopicName == subscription.TopicName);
            if (existing < 0)
                _subscriptions.Add(subscription);
            else
                _subscriptions[existing] = _subscriptions[existing] with
                {
                    MessageTypeUrn = _subscriptions[existing].MessageTypeUrn ?? subscription.MessageTypeUrn,
                    RawMessageDelivery = _subscriptions[existing].RawMessageDelivery && subscription.RawMessageDelivery,
                    FilterPolicy = subscription.FilterPolicy ?? _subscriptions[existing].FilterPolicy,
                    PlainJsonType = _subscriptions[existing].PlainJsonType ?? subscription.PlainJsonType,
                };
        }
    }
}
