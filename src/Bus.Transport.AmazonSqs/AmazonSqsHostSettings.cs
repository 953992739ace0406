using Amazon.Runtime;

namespace Bus.Transport.AmazonSqs;

/// <summary>Where the transport talks to AWS and with which identity.</summary>
public sealed class AmazonSqsHostSettings
{
    /// <summary>AWS region, e.g. <c>eu-west-1</c>.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>
    /// Service URL for SQS and SNS when not the public AWS endpoints (an emulator such as
    /// <c>http://127.0.0.1:4566</c>). Null means the regional AWS endpoints.
    /// </summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Credentials; null means the AWS SDK's default chain (environment, profile, container or instance role).</summary>
    public AWSCredentials? Credentials { get; set; }

    /// <summary>Prefix for every queue and topic name (e.g. <c>prod</c> gives <c>prod-training-complete</c>); separates environments in one account.</summary>
    public string? Scope { get; set; }

    /// <summary>Whether the transport creates queues, topics, subscriptions and queue policies it needs (off where IAM forbids it and infrastructure is
    /// provisioned separately).</summary>
    public bool CreateEntities { get; set; } = true;

    /// <summary>
    /// The AWS account of the queues and topics. Only needed with <see cref="CreateEntities"/> off: the host then builds topic
    /// ARNs from it instead of calling CreateTopic, so its role needs no <c>sns:CreateTopic</c>.
    /// </summary>
    public string? AccountId { get; set; }

    /// <summary>How often each receiving endpoint samples its queue's depth for the gauges (GetQueueAttributes); zero turns it off.</summary>
    public TimeSpan QueueDepthInterval { get; set; } = TimeSpan.FromSeconds(15);

    public Uri HostAddress => new($"amazonsqs://{Region}/{(string.IsNullOrEmpty(Scope) ? string.Empty : Scope + "/")}");

    public override string ToString() => ServiceUrl is null ? $"aws {Region}" : $"{ServiceUrl} ({Region})";
}
