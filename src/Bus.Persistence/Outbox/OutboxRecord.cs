using System.Data.Common;
using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware.Outbox;
using MassTransit.Serialization;

namespace Bus.Persistence.Outbox;

/// <summary>A message captured in the outbox: the serialized envelope and everything needed to send it later exactly as it would have been sent.</summary>
public sealed record OutboxRecord
{
    public required Guid MessageId { get; init; }
    public required string Destination { get; init; }
    public required string Body { get; init; }
    public string? ContentType { get; init; }
    public string? MessageType { get; init; }
    /// <summary>The W3C tracestate of the trace the message was stored in, as a header (delivery puts it beside traceparent).</summary>
    public const string TraceStateHeader = "tracestate";

    public string? Headers { get; init; }
    public string? Properties { get; init; }
    public Guid? ConversationId { get; init; }
    public Guid? CorrelationId { get; init; }
    public Guid? InitiatorId { get; init; }
    public Guid? RequestId { get; init; }
    public string? SourceAddress { get; init; }
    public string? ResponseAddress { get; init; }
    public string? FaultAddress { get; init; }
    public long SentTime { get; init; }
    public long? EnqueueTime { get; init; }
    public long? ExpirationTime { get; init; }
    public long SequenceNumber { get; init; }

    public static OutboxRecord From<T>(SendContext<T> context)
        where T : class
    {
        var messageId = context.MessageId ?? throw new MessageException(typeof(T), "A message must have a MessageId to go through the outbox");
        var destination = context.DestinationAddress ?? throw new MessageException(typeof(T), "A message must have a destination to go through the outbox");
        var serializer = SystemTextJsonMessageSerializer.Instance;
        var now = DateTimeOffset.UtcNow;
        string? properties = null;
        if (context is TransportSendContext<T> transport)
        {
            var values = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            transport.WritePropertiesTo(values);
            if (values.Count > 0)
                properties = serializer.SerializeDictionary(values);
        }

        // The stored MT-Activity-Id keeps the trace; W3C tracestate goes with it, or the delivery (later, elsewhere) loses it.
        if (System.Diagnostics.Activity.Current?.TraceStateString is { Length: > 0 } traceState)
            context.Headers.Set(TraceStateHeader, traceState);
        return new OutboxRecord
        {
            MessageId = messageId,
            Destination = destination.ToString(),
            Body = context.Serializer.GetMessageBody(context).GetString(),
            ContentType = context.ContentType?.ToString() ?? context.Serialization.DefaultContentType.ToString(),
            Headers = serializer.SerializeDictionary(context.Headers.GetAll()),
            Properties = properties,
            ConversationId = context.ConversationId,
            CorrelationId = context.CorrelationId,
            InitiatorId = context.InitiatorId,
            RequestId = context.RequestId,
            SourceAddress = context.SourceAddress?.ToString(),
            ResponseAddress = context.ResponseAddress?.ToString(),
            FaultAddress = context.FaultAddress?.ToString(),
            SentTime = (context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : now).ToUnixTimeMilliseconds(),
            EnqueueTime = context.Delay is { } delay && delay > TimeSpan.Zero ? (now + delay).ToUnixTimeMilliseconds() : null,
            ExpirationTime = context.TimeToLive is { } ttl ? (now + ttl).ToUnixTimeMilliseconds() : null,
        };
    }

    /// <summary>MassTransit's own outbox message shape, so its send pipe restores headers, ids and transport properties.</summary>
    public InMemoryOutboxMessage ToMessageContext()
    {
        var message = new InMemoryOutboxMessage
        {
            MessageId = MessageId,
            SequenceNumber = SequenceNumber,
            DestinationAddress = new Uri(Destination),
            Body = Body,
            ContentType = ContentType!,
            MessageType = MessageType!,
            Headers = Headers ?? "{}",
            Properties = Properties ?? "{}",
            ConversationId = ConversationId,
            CorrelationId = CorrelationId,
            InitiatorId = InitiatorId,
            RequestId = RequestId,
            SourceAddress = SourceAddress is null ? null! : new Uri(SourceAddress),
            ResponseAddress = ResponseAddress is null ? null! : new Uri(ResponseAddress),
            FaultAddress = FaultAddress is null ? null! : new Uri(FaultAddress),
            SentTime = DateTimeOffset.FromUnixTimeMilliseconds(SentTime).UtcDateTime,
            EnqueueTime = EnqueueTime is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e).UtcDateTime : null,
            ExpirationTime = ExpirationTime is { } x ? DateTimeOffset.FromUnixTimeMilliseconds(x).UtcDateTime : null,
        };
        message.Deserialize(SystemTextJsonMessageSerializer.Instance);
        return message;
    }

    internal const string Columns =
        "outbox_id, sequence_number, message_id, destination, content_type, message_type, body, headers, properties, conversation_id, correlation_id, " +
            "initiator_id, request_id, source_address, response_address, fault_address, sent_time, enqueue_time, expiration_time";

    internal async Task InsertAsync(DbConnection connection, DbTransaction transaction, Guid outboxId, long sequence, CancellationToken cancellationToken) =>
        await Sql.ExecuteAsync(connection, transaction,
            $"INSERT INTO bus_outbox_message ({Columns}) VALUES (@o, @s, @m, @d, @ct, @mt, @b, @h, @p, @conv, @corr, @init, @req, @src, @resp, @fault, " +
                "@sent, @enq, @exp)",
            cancellationToken,
            ("o", outboxId.ToString()), ("s", sequence), ("m", MessageId.ToString()), ("d", Destination), ("ct", ContentType), ("mt", MessageType), ("b", Body),
            ("h", Headers), ("p", Properties), ("conv", ConversationId?.ToString()), ("corr", CorrelationId?.ToString()), ("init", InitiatorId?.ToString()),
            ("req", RequestId?.ToString()), ("src", SourceAddress), ("resp", ResponseAddress), ("fault", FaultAddress), ("sent", SentTime), ("enq",
                EnqueueTime),
            ("exp", ExpirationTime)).ConfigureAwait(false);

    internal static OutboxRecord Read(DbDataReader r)
    {
        static Guid? G(DbDataReader r, int i) => r.IsDBNull(i) ? null : Guid.Parse(r.GetString(i));
        static string? S(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        static long? L(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
        return new OutboxRecord
        {
            SequenceNumber = r.GetInt64(1),
            MessageId = Guid.Parse(r.GetString(2)),
            Destination = r.GetString(3),
            ContentType = S(r, 4),
            MessageType = S(r, 5),
            Body = r.GetString(6),
            Headers = S(r, 7),
            Properties = S(r, 8),
            ConversationId = G(r, 9),
            CorrelationId = G(r, 10),
            InitiatorId = G(r, 11),
            RequestId = G(r, 12),
            SourceAddress = S(r, 13),
            ResponseAddress = S(r, 14),
            FaultAddress = S(r, 15),
            SentTime = r.GetInt64(16),
            EnqueueTime = L(r, 17),
            ExpirationTime = L(r, 18),
        };
    }
}
