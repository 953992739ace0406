using System.Net;
using Amazon.Runtime;
using Bus.Transport.AmazonSqs.Sns;

namespace Bus.Transport.AmazonSqs.Transport;

public static class AwsErrors
{
    /// <summary>True for failures that go away by themselves: network, throttling, 5xx.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        SnsException sns => sns.IsTransient,
        AmazonServiceException aws => aws.StatusCode >= HttpStatusCode.InternalServerError || aws.StatusCode == HttpStatusCode.TooManyRequests
            || aws.ErrorCode is "Throttling" or "ThrottlingException" or "RequestThrottled" or "ServiceUnavailable" or "InternalError"
            || aws.InnerException is HttpRequestException or IOException or TimeoutException,
        HttpRequestException or IOException or TimeoutException => true,
        AmazonClientException client => client.InnerException is HttpRequestException or IOException or TimeoutException,
        _ => false,
    };
}
