using Amazon.SQS.Model;
using MassTransit;
using MassTransit.Transports;

namespace Bus.Transport.AmazonSqs.Transport;

sealed class SqsReceiveContext : BaseReceiveContext, SqsMessageContext
{
    readonly Dictionary<string, string> _headers;

    public SqsReceiveContext(Message message, string body, Dictionary<string, string> headers, bool redelivered, SqsReceiveEndpointContext context,
        ClientContext client)
        : base(redelivered, context, client)
    {
        TransportMessage = message;
        _headers = headers;
        Body = new StringMessageBody(body);
        EndpointContext = context;
    }

    public Message TransportMessage { get; }

    /// <summary>The failure queue the message was moved to (error, skipped), if it was: how its processing ended.</summary>
    public string? MovedTo { get; set; }
    public SqsReceiveEndpointContext EndpointContext { get; }
    public IReadOnlyDictionary<string, string> Attributes => _headers;
    public override MessageBody Body { get; }
    protected override IHeaderProvider HeaderProvider => new DictionaryHeaderProvider(_headers);

    sealed class DictionaryHeaderProvider(Dictionary<string, string> headers) : IHeaderProvider
    {
        public IEnumerable<KeyValuePair<string, object>> GetAll() => headers.Select(h => new KeyValuePair<string, object>(h.Key, h.Value));

        public bool TryGetHeader(string key, out object value)
        {
            if (headers.TryGetValue(key, out var text))
            {
                value = text;
                return true;
            }

            value = null!;
            return false;
        }
    }
}
