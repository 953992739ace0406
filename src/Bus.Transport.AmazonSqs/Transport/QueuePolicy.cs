using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// The queue policy that lets SNS topics deliver to a queue. It is merged with what the queue already has, never
/// rewritten from one host's view: a host that restarts with fewer subscriptions, or a rolling deploy in which two
/// versions subscribe different topics to one queue, never takes a topic's permission away. Statements that Bus did
/// not write are kept as they are.
/// </summary>
public static class QueuePolicy
{
    public const string StatementId = "bus-sns-topics";

    /// <summary>The topic ARNs Bus's statement in <paramref name="policyJson"/> lets deliver.</summary>
    public static IReadOnlySet<string> AllowedTopics(string? policyJson)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        if (Parse(policyJson) is not { } policy)
            return allowed;
        foreach (var statement in Statements(policy))
        {
            if (statement["Sid"]?.GetValue<string>() != StatementId)
                continue;
            var arns = statement["Condition"]?["ArnEquals"]?["aws:SourceArn"];
            if (arns is JsonArray list)
                allowed.UnionWith(list.Select(a => a?.GetValue<string>()).OfType<string>());
            else if (arns is JsonValue one && one.TryGetValue<string>(out var arn))
                allowed.Add(arn);
        }

        return allowed;
    }

    /// <summary><paramref name="policyJson"/> with Bus's statement allowing its topics plus <paramref name="topicArns"/>.</summary>
    public static string Merge(string? policyJson, string queueArn, IEnumerable<string> topicArns)
    {
        var arns = new HashSet<string>(AllowedTopics(policyJson), StringComparer.Ordinal);
        arns.UnionWith(topicArns);
        var policy = Parse(policyJson) ?? new JsonObject { ["Version"] = "2012-10-17" };
        var kept = Statements(policy).Where(s => s["Sid"]?.GetValue<string>() != StatementId).Select(s => s.DeepClone()).ToList();
        kept.Add(new JsonObject
        {
            ["Sid"] = StatementId,
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { ["Service"] = "sns.amazonaws.com" },
            ["Action"] = "sqs:SendMessage",
            ["Resource"] = queueArn,
            ["Condition"] = new JsonObject
            {
                ["ArnEquals"] = new JsonObject { ["aws:SourceArn"] = new JsonArray(arns.Order(StringComparer.Ordinal).Select(a => (JsonNode)a).ToArray()) },
            },
        });
        policy["Statement"] = new JsonArray(kept.ToArray());
        return policy.ToJsonString();
    }

    static JsonObject? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return null;
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static IEnumerable<JsonNode> Statements(JsonObject policy) => policy["Statement"] switch
    {
        JsonArray list => list.OfType<JsonNode>(),
        JsonObject single => [single],
        _ => [],
    };
}
