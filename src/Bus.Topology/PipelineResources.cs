using Bus.Contracts;
using Bus.Stages;
using Bus.Topology.Iam;
using Bus.Transport.AmazonSqs;

namespace Bus.Topology;

/// <summary>A queue hosts receive from, with the topics that deliver to it (raw, except for the plain-JSON ingress).</summary>
public sealed record QueueResource(string Name, string Stage, IReadOnlyList<(string Topic, bool Raw)> Subscriptions);

/// <summary>
/// A topic, and the roles that may publish to it. A topic nobody publishes to (a command that is only sent to a queue, a
/// scheduled message, a request) still exists, because MassTransit subscribes every consumer's queue to the topic of each
/// message type it consumes; its policy lets nobody publish.
/// </summary>
public sealed record TopicResource(string Name, IReadOnlyList<string> Publishers);

/// <summary>
/// What infrastructure as code must make so that hosts can run with <c>Bus:Aws:CreateEntities=false</c>: every topic some
/// role publishes to or some queue is subscribed to, every queue a stage receives from (with its <c>_dlq</c>, <c>_error</c> and <c>_skipped</c>), and the
/// subscriptions from each topic to each queue consuming its message type. Names carry the scope.
/// </summary>
public sealed record PipelineResources(IReadOnlyList<TopicResource> Topics, IReadOnlyList<QueueResource> Queues)
{
    public static PipelineResources For(string? scope, IReadOnlyList<string> hostNames)
    {
        var publishers = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        void Publishes(string role, Type type)
        {
            var topic = RolePolicies.TopicOf(type);
            (publishers.TryGetValue(topic, out var set) ? set : publishers[topic] = new(StringComparer.Ordinal)).Add(role);
        }

        Publishes(RolePolicies.Producer, typeof(TrainingCompleted));
        foreach (var command in RolePolicies.OperatorCommands)
            Publishes(RolePolicies.Operator, command);
        foreach (var stage in PipelineStages.All)
        {
            foreach (var type in stage.Topology.Publishes)
                Publishes(stage.Name, type);
        }

        var queues = new List<QueueResource>();
        foreach (var stage in PipelineStages.All)
        {
            foreach (var endpoint in stage.Topology.Endpoints)
            {
                foreach (var consumed in endpoint.Consumes.Select(RolePolicies.TopicOf).Where(t => !publishers.ContainsKey(t)))
                    publishers[consumed] = new(StringComparer.Ordinal);
                var subscriptions = endpoint.Consumes.Select(RolePolicies.TopicOf).Distinct()
                    .Order(StringComparer.Ordinal).Select(t => (EntityNames.Topic(t, scope), t != RolePolicies.TopicOf(typeof(TrainingCompleted)))).ToList();
                foreach (var queue in hostNames.Select(endpoint.QueueFor).Distinct())
                {
                    if (queues.All(q => q.Name != EntityNames.Queue(queue, scope)))
                        queues.Add(new QueueResource(EntityNames.Queue(queue, scope), stage.Name, subscriptions));
                }
            }
        }

        return new PipelineResources(
            publishers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new TopicResource(EntityNames.Topic(p.Key, scope), [.. p.Value])).ToList(),
            queues);
    }
}
