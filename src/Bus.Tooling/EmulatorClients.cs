using Amazon.Runtime;
using Amazon.SQS;

namespace Bus.Tooling;

/// <summary>AWS SDK clients pointed at the emulator (it accepts any credentials).</summary>
public static class EmulatorClients
{
    public static readonly AWSCredentials Credentials = new BasicAWSCredentials("test", "test");

    public static AmazonSQSClient Sqs(Uri serviceUrl) => new(Credentials, new AmazonSQSConfig
    {
        ServiceURL = serviceUrl.ToString(),
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 2,
    });
}
