using System.Diagnostics;
using Bus.Testing;
using Bus.Transport.AmazonSqs.Sns;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

public sealed class StageConsumer : IConsumer<StageAnnounced>
{
    public Task Consume(ConsumeContext<StageAnnounced> context) => Task.CompletedTask;
}

[Collection(EmulatorCollection.Name)]
public class When_a_non_MassTransit_producer_publishes_plain_json(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_consume_it_as_the_message_type_bound_to_the_topic()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl,
            x => x.AddConsumer<StageConsumer>(),
            (_, cfg) => cfg.AcceptPlainJson<StageAnnounced>());
        using var sns = new SnsClient(AwsClients.Credentials, "us-east-1", emulator.ServiceUrl);
        var topicArn = await sns.CreateTopicAsync(h.Topic("Bus-Transport-AmazonSqs-Tests-Messages-StageAnnounced"));

        // Exactly what boto3's sns.publish(TopicArn=..., Message=json.dumps(...)) sends: a signed Query API POST, no attributes.
        await sns.PublishAsync(topicArn, """{"modelName":"digits","modelVersion":"7","accuracy":0.97}""");

        (await Poll.Until(() => h.Harness.Consumed.Snapshot<StageAnnounced>(x => x.Context.Message.ModelVersion == "7").Any())).Should().BeTrue();
        var consumed = (await h.Harness.Consumed.ExactlyOne<StageAnnounced>()).Context.Message;
        consumed.ModelName.Should().Be("digits");
        consumed.Accuracy.Should().Be(0.97);
    }
}

[Collection(EmulatorCollection.Name)]
public class When_a_message_is_published_inside_a_trace(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_continue_the_same_trace_in_the_consumer()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "MassTransit" or "bus-test",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("bus-test");
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<TraceConsumer>());
        var id = Guid.NewGuid();

        ActivityTraceId traceId;
        using (var root = source.StartActivity("training-job"))
        {
            traceId = root!.TraceId;
            await h.Harness.Bus.Publish(new PingPublished(id, "trace"));
        }

        (await Poll.Until(() => h.Harness.Consumed.Snapshot<PingPublished>(x => x.Context.Message.Id == id).Any())).Should().BeTrue();
        TraceConsumer.Seen.Should().ContainKey(id);
        TraceConsumer.Seen[id].Should().Be(traceId, TraceConsumer.Headers[id]);
    }

    public sealed class TraceConsumer : IConsumer<PingPublished>
    {
        public static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, ActivityTraceId> Seen = new();
        public static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> Headers = new();

        public Task Consume(ConsumeContext<PingPublished> context)
        {
            Seen[context.Message.Id] = Activity.Current?.TraceId ?? default;
            Headers[context.Message.Id] = string.Join(",", context.ReceiveContext.TransportHeaders.GetAll().Select(h => h.Key + "=" + h.Value)) + " | env: " + string.Join(",", context.Headers.GetAll().Select(h => h.Key + "=" + h.Value));
            return Task.CompletedTask;
        }
    }
}
