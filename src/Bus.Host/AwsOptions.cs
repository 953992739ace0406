namespace Bus.Host;

/// <summary>Configuration section <c>Bus:Aws</c>. Credentials come only from the AWS SDK's chain (environment, profile, role).</summary>
public sealed class AwsOptions
{
    public const string SectionName = "Bus:Aws";
    public string Region { get; set; } = "us-east-1";

    /// <summary>Service URL of an emulator for SQS, SNS and S3; empty for AWS itself.</summary>
    public string? ServiceUrl { get; set; }

    public string? Scope { get; set; }
}
