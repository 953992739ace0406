namespace Bus.Transport.AmazonSqs;

/// <summary>The transport could not do what it was asked (the cause is the inner exception).</summary>
public class SqsTransportException(string message, Exception? inner = null) : MassTransit.TransportException(new Uri("amazonsqs://transport"), message, inner
    ?? new InvalidOperationException(message));
