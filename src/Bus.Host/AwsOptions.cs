namespace Bus.Host;

/// <summary>Configuration section <c>Bus:Aws</c>. Credentials come only from the AWS SDK's chain (environment, profile, role).</summary>
public sealed class AwsOptions
{
    public const string SectionName = "Bus:Aws";
    public string Region { get; set; } = "us-east-1";

    /// <summary>Service URL of an emulator for SQS, SNS and S3; empty for AWS itself.</summary>
    public string? ServiceUrl { get; set; }

    public string? Scope { get; set; }

    /// <summary>
    /// Whether the host creates its queues, topics, subscriptions and queue policies; off where infrastructure as code
    /// provisions them (<c>bus topology export</c>) and the host's role may not (<c>bus iam-policy --provisioned</c>).
    /// </summary>
    public bool CreateEntities { get; set; } = true;

    /// <summary>The account of the queues and topics; with <see cref="CreateEntities"/> off, topic ARNs are built from it instead of looked up.</summary>
    public string? AccountId { get; set; }

    /// <summary>A file every AWS call of this process is appended to (JSON lines), to judge an IAM policy by (<c>bus iam-policy --check</c>).</summary>
    public string? CallLog { get; set; }

    /// <summary>How often each endpoint samples its queue's depth for the <c>bus.sqs.queue.*</c> gauges; zero turns sampling off.</summary>
    public TimeSpan QueueDepthInterval { get; set; } = TimeSpan.FromSeconds(15);
}
