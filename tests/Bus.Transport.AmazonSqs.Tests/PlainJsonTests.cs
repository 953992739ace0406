using System.Diagnostics;
using Bus.Testing;
using Bus.Tooling;
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
        using var sns = new SnsClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
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
            Headers[context.Message.Id] = string.Join(",", context.ReceiveContext.TransportHeaders.GetAll().Select(h =>
                h.Key + "=" + h.Value)) + " | env: " + string.Join(",", context.Headers.GetAll().Select(h => h.Key + "=" + h.Value));
            return Task.CompletedTask;
        }
    }
}

/// <summary>Takes both the ingress type and an internal one on one queue, as the lifecycle saga does.</summary>
public sealed class IngressConsumer : IConsumer<StageAnnounced>, IConsumer<PingPublished>
{
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Headers = new();

    public Task Consume(ConsumeContext<StageAnnounced> context)
    {
        Headers[context.Message.ModelVersion] = string.Join(",", context.ReceiveContext.TransportHeaders.GetAll().Select(h => h.Key));
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<PingPublished> context) => Task.CompletedTask;
}

[Collection(EmulatorCollection.Name)]
public class When_a_producer_of_an_ingress_topic_sends_more_than_data(EmulatorFixture emulator)
{
    static async Task<(TransportHarness Harness, SnsClient Sns, string TopicArn)> Start(EmulatorFixture emulator)
    {
        var h = await TransportHarness.Start(emulator.ServiceUrl,
            x => x.AddConsumer<IngressConsumer>().Endpoint(e => e.Name = "ingress"),
            (_, cfg) => cfg.AcceptPlainJson<StageAnnounced>());
        var sns = new SnsClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
        return (h, sns, await sns.CreateTopicAsync(h.Topic("Bus-Transport-AmazonSqs-Tests-Messages-StageAnnounced")));
    }

    [Fact]
    public async Task Should_refuse_a_MassTransit_envelope_to_the_error_queue_with_the_reason()
    {
        var (h, sns, topicArn) = await Start(emulator);
        await using (h)
        using (sns)
        {
            var id = Guid.NewGuid();
            // A forged command: an envelope naming an internal type, with MassTransit's own content type.
            const string Type = "urn:message:Bus.Transport.AmazonSqs.Tests.Messages:PingPublished";
            var envelope = $$$"""{"messageId":"{{{Guid.NewGuid()}}}","messageType":["{{{Type}}}"],"message":{"id":"{{{id}}}","text":"forged"}}""";
            await sns.PublishAsync(topicArn, envelope, new Dictionary<string, SnsAttribute>
            {
                ["Content-Type"] = new("String", "application/vnd.masstransit+json"),
            });

            var errors = await h.Drain(emulator.ServiceUrl, "ingress_error", 1, TimeSpan.FromSeconds(30));
            var error = errors.Should().ContainSingle().Subject;
            error.MessageAttributes["MT-Reason"].StringValue.Should().Be("refused");
            error.MessageAttributes["MT-Fault-Message"].StringValue.Should().Contain("content type 'application/vnd.masstransit+json'")
                .And.Contain("plain JSON data of StageAnnounced");
            error.Body.Should().Be(envelope);
            h.Harness.Consumed.Snapshot<PingPublished>(x => x.Context.Message.Id == id).Should().BeEmpty("a producer cannot send an internal message");
        }
    }

    [Fact]
    public async Task Should_refuse_an_envelope_even_without_a_content_type()
    {
        var (h, sns, topicArn) = await Start(emulator);
        await using (h)
        using (sns)
        {
            var id = Guid.NewGuid();
            await sns.PublishAsync(topicArn,
                $$$"""{"messageType":["urn:message:Bus.Transport.AmazonSqs.Tests.Messages:PingPublished"],"message":{"id":"{{{id}}}","text":"forged"}}""");

            var errors = await h.Drain(emulator.ServiceUrl, "ingress_error", 1, TimeSpan.FromSeconds(30));
            errors.Should().ContainSingle().Which.MessageAttributes["MT-Fault-Message"].StringValue.Should()
                .Contain("a MassTransit envelope on an ingress topic");
            h.Harness.Consumed.Snapshot<PingPublished>().Should().BeEmpty();
        }
    }

    [Theory]
    [InlineData("""{"modelName":"digits"}""", "not a valid StageAnnounced")]
    [InlineData("""["digits","1"]""", "not an object")]
    [InlineData("""{"modelName":5,"modelVersion":"1"}""", "not a valid StageAnnounced")]
    public async Task Should_refuse_a_body_that_is_not_the_topics_type(string body, string reason)
    {
        var (h, sns, topicArn) = await Start(emulator);
        await using (h)
        using (sns)
        {
            await sns.PublishAsync(topicArn, body);

            var errors = await h.Drain(emulator.ServiceUrl, "ingress_error", 1, TimeSpan.FromSeconds(30));
            errors.Should().ContainSingle().Which.MessageAttributes["MT-Fault-Message"].StringValue.Should().Contain(reason);
            h.Harness.Consumed.Snapshot<StageAnnounced>().Should().BeEmpty();
        }
    }

    [Fact]
    public async Task Should_keep_only_trace_context_of_the_publishers_attributes()
    {
        var (h, sns, topicArn) = await Start(emulator);
        await using (h)
        using (sns)
        {
            await sns.PublishAsync(topicArn, """{"modelName":"digits","modelVersion":"attrs"}""", new Dictionary<string, SnsAttribute>
            {
                ["Content-Type"] = new("String", "application/json"),
                ["MT-Host-MachineName"] = new("String", "forged"),
                ["RequestId"] = new("String", Guid.NewGuid().ToString()),
                ["tracestate"] = new("String", "vendor=1"),
            });

            (await h.WaitForConsumed<StageAnnounced>(m => m.ModelVersion == "attrs", TimeSpan.FromSeconds(30))).Should().BeTrue();
            IngressConsumer.Headers["attrs"].Split(',').Should().NotContain(["MT-Host-MachineName", "RequestId"]).And.Contain("tracestate");
        }
    }

    [Fact]
    public async Task Should_publish_its_own_messages_there_as_plain_json_that_its_subscribers_accept()
    {
        var (h, sns, _) = await Start(emulator);
        await using (h)
        using (sns)
        {
            await h.Harness.Bus.Publish(new StageAnnounced { ModelName = "digits", ModelVersion = "own", Accuracy = 0.5 });

            (await h.WaitForConsumed<StageAnnounced>(m => m.ModelVersion == "own" && m.Accuracy == 0.5, TimeSpan.FromSeconds(30))).Should().BeTrue();
        }
    }
}

[Collection(EmulatorCollection.Name)]
public class When_a_sender_writes_the_channel_headers_itself(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_keep_only_what_SNS_and_SQS_say_of_the_channel()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl,
            x => x.AddConsumer<ChannelConsumer>().Endpoint(e => e.Name = "channel"),
            (_, cfg) => cfg.AcceptPlainJson<StageAnnounced>());
        var id = Guid.NewGuid();

        // Sent straight to the queue with the channel written into its attributes: only the queue and the sender are known,
        // and what the sender wrote is gone.
        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        await sqs.SendMessageAsync(new Amazon.SQS.Model.SendMessageRequest
        {
            QueueUrl = await h.QueueUrl(sqs, "channel"),
            MessageBody = new System.Text.Json.Nodes.JsonObject
            {
                ["messageId"] = Guid.NewGuid().ToString(),
                ["messageType"] = new System.Text.Json.Nodes.JsonArray("urn:message:Bus.Transport.AmazonSqs.Tests.Messages:PingPublished"),
                ["message"] = new System.Text.Json.Nodes.JsonObject { ["id"] = id.ToString(), ["text"] = "forged channel" },
            }.ToJsonString(),
            MessageAttributes = new()
            {
                ["Content-Type"] = new() { DataType = "String", StringValue = "application/vnd.masstransit+json" },
                [SqsTransportHeaders.Topic] = new() { DataType = "String", StringValue = "training-complete" },
                [SqsTransportHeaders.SnsMessageId] = new() { DataType = "String", StringValue = "forged" },
            },
        });
        (await Poll.Until(() => ChannelConsumer.Seen.ContainsKey(id.ToString()))).Should().BeTrue();
        var internalChannel = ChannelConsumer.Seen[id.ToString()];
        internalChannel.Should().NotContainKey(SqsTransportHeaders.Topic).And.NotContainKey(SqsTransportHeaders.SnsMessageId);
        internalChannel.Should().ContainKey(SqsTransportHeaders.Queue).WhoseValue.Should().EndWith("channel");
        internalChannel.Should().ContainKey(SqsTransportHeaders.SqsSenderId);

        // Through an ingress topic (SNS's envelope): the topic and SNS's own message id, whatever attributes the producer set.
        using var sns = new SnsClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
        var topicArn = await sns.CreateTopicAsync(h.Topic("Bus-Transport-AmazonSqs-Tests-Messages-StageAnnounced"));
        await sns.PublishAsync(topicArn, """{"modelName":"digits","modelVersion":"channel-1"}""",
            new Dictionary<string, SnsAttribute> { [SqsTransportHeaders.Topic] = new("String", "model-deployed") });
        (await Poll.Until(() => ChannelConsumer.Seen.ContainsKey("channel-1"))).Should().BeTrue();
        var ingress = ChannelConsumer.Seen["channel-1"];
        ingress.Should().ContainKey(SqsTransportHeaders.Topic).WhoseValue.Should().EndWith("StageAnnounced");
        Guid.TryParse(ingress[SqsTransportHeaders.SnsMessageId], out _).Should().BeTrue("SNS's own message id");
    }

    public sealed class ChannelConsumer : IConsumer<PingPublished>, IConsumer<StageAnnounced>
    {
        public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Dictionary<string, string>> Seen = new();

        public Task Consume(ConsumeContext<PingPublished> context) => Record(context, context.Message.Id.ToString());

        public Task Consume(ConsumeContext<StageAnnounced> context) => Record(context, context.Message.ModelVersion);

        static Task Record(ConsumeContext context, string key)
        {
            Seen[key] = context.ReceiveContext.TransportHeaders.GetAll()
                .Where(h => h.Key.StartsWith(SqsTransportHeaders.ChannelPrefix, StringComparison.OrdinalIgnoreCase))
                .ToDictionary(h => h.Key, h => h.Value.ToString()!, StringComparer.OrdinalIgnoreCase);
            return Task.CompletedTask;
        }
    }
}
