using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// The rule for a body that arrived on an ingress topic (one marked <c>AcceptPlainJson</c>): whoever may publish
/// there speaks data, never commands. The body must be a JSON object that reads as the topic's message type; a
/// MassTransit envelope, a content type other than JSON, or JSON of another shape is refused with the reason, and
/// of the publisher's attributes only trace context and the declared filter attributes survive.
/// </summary>
static class PlainJsonIngress
{
    public const string TraceStateAttribute = "tracestate";

    /// <summary>The headers the consumer sees for an accepted body, or the reason it is refused.</summary>
    public static string? Check(string body, IReadOnlyDictionary<string, string> publisherAttributes, IngressBinding binding, string topicName,
        Dictionary<string, string> headers)
    {
        var (messageType, filterAttributes) = (binding.MessageType, binding.FilterAttributes);
        foreach (var (name, value) in publisherAttributes)
        {
            if (string.Equals(name, SqsSendTransportContext.TraceParentAttribute, StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, TraceStateAttribute, StringComparison.OrdinalIgnoreCase)
                || filterAttributes.Contains(name, StringComparer.Ordinal))
                headers[name] = value;
        }

        var what = $"{topicName} accepts plain JSON data of {messageType.Name} only";
        if (publisherAttributes.TryGetValue(MessageHeaders.ContentType, out var contentType) && !IsJson(contentType))
            return $"refused: content type '{Clip(contentType)}' on an ingress topic; {what}";

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return $"refused: the body is not JSON ({ex.Message}); {what}";
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return $"refused: the body is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object; {what}";
            if (IsEnvelope(root))
                return $"refused: a MassTransit envelope on an ingress topic (producers announce data, they cannot send commands or internal events); {what}";
        }

        object message;
        try
        {
            if (JsonSerializer.Deserialize(body, messageType, SystemTextJsonMessageSerializer.Options) is not { } read)
                return $"refused: the body is null; {what}";
            message = read;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            return $"refused: the body is not a valid {messageType.Name}: {Clip(ex.Message)}";
        }

        return binding.Rule?.Invoke(message) is { } reason ? $"refused: {reason}" : null;
    }

    static bool IsJson(string contentType)
    {
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Equals("text/json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>MassTransit's envelope: the message inside <c>message</c>, its types in <c>messageType</c>.</summary>
    static bool IsEnvelope(JsonElement root)
    {
        var message = false;
        var messageType = false;
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name.Equals("message", StringComparison.OrdinalIgnoreCase))
                message = true;
            else if (property.Name.Equals("messageType", StringComparison.OrdinalIgnoreCase) || property.Name.Equals("destinationAddress",
                StringComparison.OrdinalIgnoreCase))
                messageType = true;
        }

        return message && messageType;
    }

    static string Clip(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
