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

    /// <summary>
    /// As <see cref="AcceptPlainJson{T}()"/>, with the producers' own rule: <paramref name="refuse"/> gives the reason a
    /// body that reads as a <typeparamref name="T"/> may still not be taken (a name outside the naming rule), or null.
    /// A refused body goes to <c>&lt;queue&gt;_error</c> with that reason, as a malformed one does, and no consumer sees it.
    /// </summary>
    void AcceptPlainJson<T>(Func<T, string?> refuse) where T : class;

    /// <summary>Adds a message attribute to every message of <typeparamref name="T"/> sent or published, for SNS filter policies (at most 7 such
    /// attributes).</summary>
    void FilterAttribute<T>(string name, Func<T, string?> value) where T : class;
}
