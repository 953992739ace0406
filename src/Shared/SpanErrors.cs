using System.Diagnostics;

namespace Bus.Shared;

/// <summary>
/// The one way Bus marks a span failed: <c>error.type</c> (the exception's type, or a service's own error code) and an
/// Error status with the message. Compiled into the transport, Bus.Ml and the stages, which each have spans of their own.
/// </summary>
static class SpanErrors
{
    public static void Record(Activity? span, Exception exception, string? errorType = null)
    {
        if (span is null)
            return;
        span.SetTag("error.type", errorType ?? exception.GetType().FullName);
        span.SetStatus(ActivityStatusCode.Error, exception.Message);
    }
}
