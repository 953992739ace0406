using MassTransit;

namespace Bus.Transport.AmazonSqs;

/// <summary>Configures a bus on Amazon SQS and SNS.</summary>
public interface IAmazonSqsBusFactoryConfigurator : IBusFactoryConfigurator<IAmazonSqsReceiveEndpointConfigurator>
{
    /// <summary>Region, service URL, credentials and scope. Without a call: us-east-1, AWS endpoints, the SDK's credential chain.</summary>
    void Host(Action<AmazonSqsHostSettings> configure);

    /// <summary>
    /// Makes the topic of <typeparamref name="T"/> an ingress topic: non-MassTransit producers (boto3, the AWS CLI)
    /// publish it as plain JSON. Queues subscribe to it with raw delivery off, so the SNS notification tells which
    /// topic a body came from, and such a body is only ever data: it is bound to <typeparamref name="T"/>, only
    /// <c>traceparent</c>, <c>tracestate</c> and the declared filter attributes of the publisher are kept, and
    /// anything else (a MassTransit envelope, another content type, JSON that is not a <typeparamref name="T"/>)
    /// goes to <c>&lt;queue&gt;_error</c> with the reason. What this bus publishes to that topic is sent as plain
    /// JSON too.
    /// </summary>
    void AcceptPlainJson<T>() where T : class;

    /// <summary>Adds a message attribute to every message of <typeparamref name="T"/> sent or published, for SNS filter policies (at most 7 such
    /// attributes).</summary>
    void FilterAttribute<T>(string name, Func<T, string?> value) where T : class;
}

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
