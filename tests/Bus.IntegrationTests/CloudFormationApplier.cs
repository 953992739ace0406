using System.Text.Json.Nodes;
using Amazon.SQS;
using Bus.Transport.AmazonSqs.Sns;

namespace Bus.IntegrationTests;

/// <summary>
/// Makes on the emulator what a CloudFormation stack of `bus topology export` makes on AWS: topics, queues with their
/// attributes and redrive policies, subscriptions and queue policies, resolving <c>Ref</c> and <c>Fn::GetAtt</c> as
/// CloudFormation does (a topic's Ref is its ARN, a queue's its URL). The emulator has no IAM and does not enforce topic
/// policies: those and the managed policies are resolved (every reference must name a resource) but not applied.
/// Unknown resource types and unresolvable references fail.
/// </summary>
sealed class CloudFormationApplier(IAmazonSQS sqs, SnsClient sns)
{
    readonly Dictionary<string, (string Ref, string Arn)> _made = new(StringComparer.Ordinal);

    /// <summary>Each resource's physical id by logical id once applied (topic ARN, queue URL, subscription ARN).</summary>
    public IReadOnlyDictionary<string, (string Ref, string Arn)> Made => _made;

    public async Task ApplyAsync(string template)
    {
        var resources = JsonNode.Parse(template)!["Resources"]!.AsObject();
        var pending = resources.Select(r => (Id: r.Key, Resource: r.Value!.AsObject())).ToList();
        while (pending.Count > 0)
        {
            var ready = pending.Where(r => References(r.Resource["Properties"]).All(_made.ContainsKey)).ToList();
            if (ready.Count == 0)
                throw new InvalidOperationException($"unresolvable references in {string.Join(", ", pending.Select(p => p.Id))}");
            foreach (var (id, resource) in ready)
            {
                foreach (var reference in References(resource["Properties"]))
                    resources.ContainsKey(reference).Should().BeTrue($"{id} refers to {reference}");
                _made[id] = await CreateAsync(id, resource["Type"]!.GetValue<string>(), Resolve(resource["Properties"]!)!.AsObject());
                pending.RemoveAll(p => p.Id == id);
            }
        }
    }

    async Task<(string Ref, string Arn)> CreateAsync(string id, string type, JsonObject properties)
    {
        switch (type)
        {
            case "AWS::SNS::Topic":
                var topic = await sns.CreateTopicAsync(properties["TopicName"]!.GetValue<string>());
                return (topic, topic);
            case "AWS::SQS::Queue":
                // The template's queue properties are SQS attribute names; a RedrivePolicy object is the attribute's JSON.
                var attributes = properties.Where(p => p.Key != "QueueName").ToDictionary(p => p.Key,
                    p => p.Value is JsonObject o ? o.ToJsonString() : p.Value!.ToString());
                var url = (await sqs.CreateQueueAsync(new Amazon.SQS.Model.CreateQueueRequest
                {
                    QueueName = properties["QueueName"]!.GetValue<string>(),
                    Attributes = attributes,
                })).QueueUrl;
                var arn = (await sqs.GetQueueAttributesAsync(url, ["QueueArn"])).QueueARN;
                return (url, arn);
            case "AWS::SNS::Subscription":
                properties["Protocol"]!.GetValue<string>().Should().Be("sqs");
                var subscription = await sns.SubscribeAsync(properties["TopicArn"]!.GetValue<string>(), "sqs", properties["Endpoint"]!.GetValue<string>(),
                    new Dictionary<string, string> { ["RawMessageDelivery"] = properties["RawMessageDelivery"]!.GetValue<bool>() ? "true" : "false" });
                return (subscription, subscription);
            case "AWS::SQS::QueuePolicy":
                foreach (var queue in properties["Queues"]!.AsArray())
                {
                    await sqs.SetQueueAttributesAsync(queue!.GetValue<string>(),
                        new Dictionary<string, string> { ["Policy"] = properties["PolicyDocument"]!.ToJsonString() });
                }

                return (id, id);
            case "AWS::SNS::TopicPolicy" or "AWS::IAM::ManagedPolicy":
                return (id, id);
            default:
                throw new InvalidOperationException($"{id}: a resource type the exporter should not write: {type}");
        }
    }

    static IEnumerable<string> References(JsonNode? node) => node switch
    {
        JsonObject o when o.Count == 1 && o["Ref"] is JsonValue id => [id.GetValue<string>()],
        JsonObject o when o.Count == 1 && o["Fn::GetAtt"] is JsonArray { Count: 2 } a => [a[0]!.GetValue<string>()],
        JsonObject o => o.SelectMany(p => References(p.Value)),
        JsonArray a => a.SelectMany(References),
        _ => [],
    };

    JsonNode? Resolve(JsonNode? node) => node switch
    {
        JsonObject o when o.Count == 1 && o["Ref"] is JsonValue id => _made[id.GetValue<string>()].Ref,
        JsonObject o when o.Count == 1 && o["Fn::GetAtt"] is JsonArray { Count: 2 } a => a[1]!.GetValue<string>() == "Arn"
            ? _made[a[0]!.GetValue<string>()].Arn
            : throw new InvalidOperationException($"Fn::GetAtt {a.ToJsonString()}: only Arn is exported"),
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Resolve(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Resolve).ToArray()),
        _ => node?.DeepClone(),
    };
}
