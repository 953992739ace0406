namespace Bus.Transport.AmazonSqs;

/// <summary>Where a receive endpoint's failed messages go.</summary>
public enum FailureQueue
{
    /// <summary><c>&lt;queue&gt;_error</c>: the consumer failed after its retries (the exception is in the attributes).</summary>
    Error,

    /// <summary><c>&lt;queue&gt;_skipped</c>: no consumer on the endpoint took the message (the reason is in the attributes).</summary>
    Skipped,

    /// <summary><c>&lt;queue&gt;_dlq</c>: SQS's redrive moved it after too many receives without a delete.</summary>
    DeadLetter,
}
