using System.Globalization;
using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>Moves a message that failed after its retries to <c>&lt;queue&gt;_error</c>, with the exception in message attributes.</summary>
sealed class SqsErrorTransport(SqsReceiveEndpointContext endpoint) : IErrorTransport
{
    public Task Send(ExceptionReceiveContext context)
    {
        var exception = context.Exception;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.Reason] = "fault",
            [MessageHeaders.FaultExceptionType] = exception.GetType().FullName ?? exception.GetType().Name,
            [MessageHeaders.FaultMessage] = Truncate(exception.Message, 4096),
            [MessageHeaders.FaultStackTrace] = Truncate(exception.StackTrace ?? string.Empty, 8192),
            [MessageHeaders.FaultTimestamp] = context.ExceptionTimestamp.ToString("O", CultureInfo.InvariantCulture),
            [MessageHeaders.FaultInputAddress] = endpoint.InputAddress.ToString(),
        };
        return SqsMove.Move(context, endpoint, endpoint.ErrorQueueName, attributes);
    }

    internal static string Truncate(string value, int max) => value.Length <= max ? (value.Length == 0 ? "-" : value) : value[..max];
}
