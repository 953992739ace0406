namespace Bus.Transport.AmazonSqs.Diagnostics;

/// <summary>
/// One AWS API call a process made: the service (<c>sqs</c>, <c>sns</c>, <c>s3</c>), the API action (<c>ReceiveMessage</c>,
/// <c>Publish</c>, <c>GetObject</c>) and what it acted on: a queue or topic name, <c>bucket/key</c> for an S3 object,
/// <c>bucket</c> for a bucket, nothing for an account-wide list. Names, not ARNs: the account and region are the reader's.
/// </summary>
public sealed record AwsCall(string Service, string Action, string? Resource);
