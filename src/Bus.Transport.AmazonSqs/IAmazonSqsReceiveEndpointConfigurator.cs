using MassTransit;

namespace Bus.Transport.AmazonSqs;

/// <summary>Configures one receive endpoint: an SQS queue and the topics it subscribes to.</summary>
public interface IAmazonSqsReceiveEndpointConfigurator : IReceiveEndpointConfigurator
{
    /// <summary>Long-poll wait, 0-20 s (default 20: an idle queue costs 3 requests a minute per poller).</summary>
    int WaitTimeSeconds { set; }

    /// <summary>The queue's visibility timeout when the transport creates it (default 30 s); extended automatically while a message is processed.</summary>
    int VisibilityTimeoutSeconds { set; }

    /// <summary>After this many receives without success a message moves to the native dead-letter queue <c>&lt;queue&gt;_dlq</c> (default 5; 0 disables
    /// it).</summary>
    int MaxReceiveCount { set; }

    /// <summary>How long processing of one message may be kept invisible in total before it is released (at most SQS's 12 hours).</summary>
    TimeSpan MaxVisibilityExtension { set; }

    /// <summary>Subscribes the queue to a topic by name, optionally with an SNS filter policy (JSON).</summary>
    void Subscribe(string topicName, string? filterPolicy = null);

    /// <summary>Subscribes the queue to the topic of <typeparamref name="T"/> with an SNS filter policy (JSON).</summary>
    void Subscribe<T>(string? filterPolicy = null) where T : class;
}
