using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bus.Topology.Iam;
using Bus.Transport.AmazonSqs;

namespace Bus.Topology;

/// <summary>
/// <c>bus topology export --format cloudformation</c>: the pipeline's topics, queues (each with its dead-letter, error and
/// skipped queues), subscriptions, queue policies (only the subscribed topics may deliver), topic policies (only the roles
/// that publish a topic may: producers on <c>training-complete</c>, host roles on the internal topics, the operator and the
/// lifecycle on the operator commands) and one managed policy per role, for hosts that run with
/// <c>Bus:Aws:CreateEntities=false</c> and <c>Bus:Aws:AccountId</c>.
/// </summary>
public static class CloudFormationTemplate
{
    const int DeadLetterRetentionSeconds = 14 * 24 * 3600;
    const int MaxReceiveCount = 5;

    /// <summary>The IAM role each Bus role runs as, by default <c>arn:aws:iam::ACCOUNT:role/SCOPE-bus-ROLE</c>.</summary>
    public static string DefaultRoleArn(IamSettings settings, string role) =>
        $"arn:{AwsArns.Partition(settings.Region)}:iam::{settings.Account}:role/{(string.IsNullOrEmpty(settings.Scope) ? "" : settings.Scope + "-")}bus-{role}";

    public static string Create(IamSettings settings, IReadOnlyDictionary<string, string>? roleArns = null)
    {
        string RoleArn(string role) => roleArns?.GetValueOrDefault(role) ?? DefaultRoleArn(settings, role);
        var provisioned = settings with { Provisioned = true };
        var resources = PipelineResources.For(settings.Scope, settings.HostNames);
        var template = new JsonObject();
        var topicIds = new Dictionary<string, string>(StringComparer.Ordinal);

        foreach (var topic in resources.Topics)
        {
            var id = topicIds[topic.Name] = LogicalId("Topic", topic.Name);
            template[id] = Resource("AWS::SNS::Topic", new JsonObject { ["TopicName"] = topic.Name });
            var allowed = topic.Publishers.Select(p => (JsonNode)RoleArn(p)).ToArray();
            template[id + "Policy"] = Resource("AWS::SNS::TopicPolicy", new JsonObject
            {
                ["Topics"] = new JsonArray(Ref(id)),
                ["PolicyDocument"] = new JsonObject
                {
                    ["Version"] = "2012-10-17",
                    ["Statement"] = new JsonArray(PublishDenial(id, allowed)),
                },
            });
        }

        foreach (var queue in resources.Queues)
        {
            var id = LogicalId("Queue", queue.Name);
            var deadLetter = LogicalId("Queue", FailureQueues.NameFor(queue.Name, FailureQueue.DeadLetter));
            template[deadLetter] = Resource("AWS::SQS::Queue", new JsonObject
            {
                ["QueueName"] = FailureQueues.NameFor(queue.Name, FailureQueue.DeadLetter),
                ["MessageRetentionPeriod"] = DeadLetterRetentionSeconds,
            });
            foreach (var kind in new[] { FailureQueue.Error, FailureQueue.Skipped })
            {
                template[LogicalId("Queue", FailureQueues.NameFor(queue.Name, kind))] = Resource("AWS::SQS::Queue", new JsonObject
                {
                    ["QueueName"] = FailureQueues.NameFor(queue.Name, kind),
                    ["MessageRetentionPeriod"] = DeadLetterRetentionSeconds,
                });
            }

            template[id] = Resource("AWS::SQS::Queue", new JsonObject
            {
                ["QueueName"] = queue.Name,
                ["VisibilityTimeout"] = 30,
                ["ReceiveMessageWaitTimeSeconds"] = 20,
                ["RedrivePolicy"] = new JsonObject { ["deadLetterTargetArn"] = Arn(deadLetter), ["maxReceiveCount"] = MaxReceiveCount },
            });
            if (queue.Subscriptions.Count == 0)
                continue;
            foreach (var (topic, raw) in queue.Subscriptions)
            {
                template[id + "From" + topicIds[topic]] = Resource("AWS::SNS::Subscription", new JsonObject
                {
                    ["TopicArn"] = Ref(topicIds[topic]),
                    ["Protocol"] = "sqs",
                    ["Endpoint"] = Arn(id),
                    ["RawMessageDelivery"] = raw,
                });
            }

            template[id + "Policy"] = Resource("AWS::SQS::QueuePolicy", new JsonObject
            {
                ["Queues"] = new JsonArray(Ref(id)),
                ["PolicyDocument"] = new JsonObject
                {
                    ["Version"] = "2012-10-17",
                    ["Statement"] = new JsonArray(new JsonObject
                    {
                        ["Sid"] = "SubscribedTopics",
                        ["Effect"] = "Allow",
                        ["Principal"] = new JsonObject { ["Service"] = "sns.amazonaws.com" },
                        ["Action"] = "sqs:SendMessage",
                        ["Resource"] = Arn(id),
                        ["Condition"] = new JsonObject
                        {
                            ["ArnEquals"] = new JsonObject
                            {
                                ["aws:SourceArn"] = new JsonArray(queue.Subscriptions.Select(s => Ref(topicIds[s.Topic])).ToArray()),
                            },
                        },
                    }),
                },
            });
        }

        foreach (var role in RolePolicies.Roles)
        {
            template[LogicalId("Policy", role)] = Resource("AWS::IAM::ManagedPolicy", new JsonObject
            {
                ["ManagedPolicyName"] = $"{(string.IsNullOrEmpty(settings.Scope) ? "" : settings.Scope + "-")}bus-{role}",
                ["Description"] = $"Bus {role}: generated by bus topology export from the stages' topology",
                ["PolicyDocument"] = JsonNode.Parse(RolePolicies.For(role, provisioned).ToJson()),
            });
        }

        return new JsonObject
        {
            ["AWSTemplateFormatVersion"] = "2010-09-09",
            ["Description"] = $"Bus pipeline{(string.IsNullOrEmpty(settings.Scope) ? "" : " " + settings.Scope)}: topics, queues, subscriptions, " +
                "queue and topic policies, one managed policy per role (hosts run with Bus:Aws:CreateEntities=false)",
            ["Resources"] = template,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Denies sns:Publish to every principal but the topic's publishers; to everyone where it has none.</summary>
    static JsonObject PublishDenial(string topicId, JsonNode[] allowed)
    {
        var statement = new JsonObject
        {
            ["Sid"] = allowed.Length == 0 ? "NobodyPublishes" : "OnlyItsPublishers",
            ["Effect"] = "Deny",
            ["Principal"] = "*",
            ["Action"] = "sns:Publish",
            ["Resource"] = Ref(topicId),
        };
        if (allowed.Length > 0)
            statement["Condition"] = new JsonObject { ["ArnNotEquals"] = new JsonObject { ["aws:PrincipalArn"] = new JsonArray(allowed) } };
        return statement;
    }

    static JsonObject Resource(string type, JsonObject properties) => new() { ["Type"] = type, ["Properties"] = properties };

    static JsonObject Ref(string id) => new() { ["Ref"] = id };

    static JsonObject Arn(string id) => new() { ["Fn::GetAtt"] = new JsonArray(id, "Arn") };

    /// <summary>A CloudFormation logical id (letters and digits only) from a kind and an entity name.</summary>
    public static string LogicalId(string kind, string name)
    {
        var id = new StringBuilder(kind);
        var upper = true;
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upper = true;
                continue;
            }

            id.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return id.ToString();
    }
}
