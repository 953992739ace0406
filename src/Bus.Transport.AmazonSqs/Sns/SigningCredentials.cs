namespace Bus.Transport.AmazonSqs.Sns;

/// <summary>AWS credentials as the signer needs them (from the SDK's credential chain or given directly).</summary>
public sealed record SigningCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null);
