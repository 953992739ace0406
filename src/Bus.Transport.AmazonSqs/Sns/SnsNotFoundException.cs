using System.Net;

namespace Bus.Transport.AmazonSqs.Sns;

/// <summary>SNS answered that the topic does not exist.</summary>
public sealed class SnsNotFoundException(string message, HttpStatusCode? statusCode)
    : SnsException("NotFound", message, statusCode, false);
