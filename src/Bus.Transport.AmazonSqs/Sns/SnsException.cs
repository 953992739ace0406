using System.Net;

namespace Bus.Transport.AmazonSqs.Sns;

/// <summary>An error answered by SNS (or a transport failure talking to it), with the AWS error code.</summary>
public class SnsException(string code, string message, HttpStatusCode? statusCode, bool isTransient, Exception? inner = null)
    : Exception($"SNS {code}: {message}", inner)
{
    public string Code { get; } = code;
    public HttpStatusCode? StatusCode { get; } = statusCode;

    /// <summary>True for throttling, 5xx and network failures: worth retrying with backoff.</summary>
    public bool IsTransient { get; } = isTransient;
}
