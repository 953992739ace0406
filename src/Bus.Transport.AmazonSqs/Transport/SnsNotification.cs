using System.Text.Json;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// An SNS notification as SNS delivers it to a queue with raw delivery off: the published message, the topic it came
/// from, SNS's message id and the publisher's attributes (string values only).
/// </summary>
sealed record SnsNotification(string Message, string TopicName, string? MessageId, Dictionary<string, string> Attributes)
{
    /// <summary>The notification in <paramref name="body"/>, or null when the body is not one (a raw or MassTransit message).</summary>
    public static SnsNotification? TryRead(string body)
    {
        if (body.Length == 0 || body[0] != '{' || !body.Contains("\"TopicArn\"", StringComparison.Ordinal))
            return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("Type", out var type) || type.GetString() != "Notification"
                || !root.TryGetProperty("TopicArn", out var arn) || !root.TryGetProperty("Message", out var inner))
                return null;

            var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("MessageAttributes", out var map) && map.ValueKind == JsonValueKind.Object)
            {
                foreach (var attribute in map.EnumerateObject())
                {
                    if (attribute.Value.TryGetProperty("Value", out var value) && value.ValueKind == JsonValueKind.String)
                        attributes[attribute.Name] = value.GetString()!;
                }
            }

            var topicArn = arn.GetString() ?? string.Empty;
            var messageId = root.TryGetProperty("MessageId", out var mid) ? mid.GetString() : null;
            return new SnsNotification(inner.ValueKind == JsonValueKind.String ? inner.GetString()! : inner.GetRawText(),
                topicArn[(topicArn.LastIndexOf(':') + 1)..], messageId, attributes);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
