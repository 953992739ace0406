namespace Bus.Transport.AmazonSqs;

/// <summary>ARNs of the entities the transport uses, in the partition of their region.</summary>
public static class AwsArns
{
    /// <summary><c>aws-cn</c> for China's regions, <c>aws-us-gov</c> for GovCloud, <c>aws</c> elsewhere.</summary>
    public static string Partition(string region) =>
        region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn" : region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov" : "aws";

    public static string Topic(string region, string account, string name) => $"arn:{Partition(region)}:sns:{region}:{account}:{name}";

    public static string Queue(string region, string account, string name) => $"arn:{Partition(region)}:sqs:{region}:{account}:{name}";

    /// <summary>An S3 bucket (<c>bucket</c>) or object (<c>bucket/key</c>, where the key may hold IAM wildcards).</summary>
    public static string S3(string region, string path) => $"arn:{Partition(region)}:s3:::{path}";
}
