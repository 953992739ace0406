using MassTransit.Context;

namespace Bus.Transport.AmazonSqs;

sealed class SqsMessageSendContext<T> : MessageSendContext<T>, SqsSendContext
    where T : class
{
    const string GroupIdProperty = "SQS-GroupId";
    const string DeduplicationIdProperty = "SQS-DeduplicationId";
    const string AttributePrefix = "SQS-Attribute-";
    readonly Func<object, IEnumerable<(string Name, string Value)>> _attributes;

    public SqsMessageSendContext(T message, Func<object, IEnumerable<(string Name, string Value)>> attributes, CancellationToken cancellationToken)
        : base(message, cancellationToken)
    {
        _attributes = attributes;
        GetOrAddPayload<SqsSendContext>(() => this);
    }

    public string? GroupId { get; set; }
    public string? DeduplicationId { get; set; }

    /// <summary>Filter attributes restored from an outbox record (the message itself is then an opaque serialized body).</summary>
    IReadOnlyList<(string Name, string Value)>? _restored;

    public IEnumerable<(string Name, string Value)> FilterAttributes => _restored ?? _attributes(Message);

    // A message stored by an outbox is sent later as a serialized body: what the transport derives from the typed
    // message (filter attributes, FIFO group) travels with it as properties so the delivered message matches.
    public override void WritePropertiesTo(IDictionary<string, object> properties)
    {
        base.WritePropertiesTo(properties);
        if (GroupId is not null)
            properties[GroupIdProperty] = GroupId;
        if (DeduplicationId is not null)
            properties[DeduplicationIdProperty] = DeduplicationId;
        foreach (var (name, value) in FilterAttributes)
            properties[AttributePrefix + name] = value;
    }

    public override void ReadPropertiesFrom(IReadOnlyDictionary<string, object> properties)
    {
        base.ReadPropertiesFrom(properties);
        if (properties.TryGetValue(GroupIdProperty, out var group))
            GroupId = group?.ToString();
        if (properties.TryGetValue(DeduplicationIdProperty, out var deduplication))
            DeduplicationId = deduplication?.ToString();
        _restored = properties.Where(p => p.Key.StartsWith(AttributePrefix, StringComparison.Ordinal) && p.Value?.ToString() is { Length: > 0 })
            .Select(p => (p.Key[AttributePrefix.Length..], p.Value.ToString()!)).ToList();
    }
}
