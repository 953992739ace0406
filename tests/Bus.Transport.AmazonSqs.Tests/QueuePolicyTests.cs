using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Transport;

namespace Bus.Transport.AmazonSqs.Tests;

public class When_a_queue_policy_is_merged
{
    const string Queue = "arn:aws:sqs:us-east-1:123456789012:q";

    [Fact]
    public void Should_keep_the_topics_already_allowed_and_statements_bus_did_not_write()
    {
        var existing = QueuePolicy.Merge(null, Queue, ["arn:aws:sns:us-east-1:123456789012:a"]);
        var foreign = existing.Replace("\"Statement\":[",
            "\"Statement\":[{\"Sid\":\"ops-audit\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::123456789012:role/auditor\"}," +
            "\"Action\":\"sqs:GetQueueAttributes\",\"Resource\":\"" + Queue + "\"},", StringComparison.Ordinal);

        var merged = QueuePolicy.Merge(foreign, Queue, ["arn:aws:sns:us-east-1:123456789012:b"]);

        QueuePolicy.AllowedTopics(merged).Should().BeEquivalentTo(["arn:aws:sns:us-east-1:123456789012:a", "arn:aws:sns:us-east-1:123456789012:b"]);
        merged.Should().Contain("ops-audit").And.Contain("role/auditor");
    }
}

[Collection(EmulatorCollection.Name)]
public class When_two_hosts_subscribe_different_topics_to_one_queue(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_keep_both_topics_permission_to_deliver()
    {
        var scope = "qp" + Guid.NewGuid().ToString("N")[..8];
        AmazonSqsHostSettings Settings() => new() { ServiceUrl = emulator.ServiceUrl, Credentials = EmulatorClients.Credentials, Scope = scope };
        await using var hostA = new SqsEntityClient(Settings());
        await using var hostB = new SqsEntityClient(Settings());
        var queue = EntityNames.Queue("shared", scope);
        await hostA.GetQueueAsync(queue, new QueueOptions());
        await hostB.GetQueueAsync(queue, new QueueOptions());

        // A rolling deploy: the old version subscribes one topic, the new one another, at the same moment.
        await Task.WhenAll(
            hostA.SubscribeAsync(EntityNames.Topic("old-stage", scope), queue, true, null),
            hostB.SubscribeAsync(EntityNames.Topic("new-stage", scope), queue, true, null));
        // A restart of the old version with fewer subscriptions must not shrink it either.
        await using var restarted = new SqsEntityClient(Settings());
        await restarted.GetQueueAsync(queue, new QueueOptions());
        await restarted.SubscribeAsync(EntityNames.Topic("old-stage", scope), queue, true, null);

        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var url = (await sqs.GetQueueUrlAsync(queue)).QueueUrl;
        var policy = (await sqs.GetQueueAttributesAsync(url, ["Policy"])).Attributes["Policy"];
        QueuePolicy.AllowedTopics(policy).Select(a => a[(a.LastIndexOf(':') + 1)..]).Should()
            .BeEquivalentTo([EntityNames.Topic("old-stage", scope), EntityNames.Topic("new-stage", scope)]);
    }
}
