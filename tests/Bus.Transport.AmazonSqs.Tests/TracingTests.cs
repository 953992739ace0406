using System.Collections.Concurrent;
using System.Diagnostics;
using Bus.Testing;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

/// <summary>The transport's own spans over the emulator: publish, receive, process and settle, parented across SNS and SQS.</summary>
[Collection(EmulatorCollection.Name)]
public class When_a_traced_message_crosses_SNS_and_SQS(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_record_publish_receive_process_and_settle_spans_with_the_messaging_conventions()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "MassTransit" or "bus-trace-test" or TransportTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("bus-trace-test");
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<TracedConsumer>());
        var id = Guid.NewGuid();

        ActivityTraceId traceId;
        using (var root = source.StartActivity("training-job"))
        {
            root!.TraceStateString = "vendor=bus";
            traceId = root.TraceId;
            await h.Harness.Bus.Publish(new PingPublished(id, "traced"));
        }

        (await Poll.Until(() => TracedConsumer.Seen.ContainsKey(id))).Should().BeTrue();
        (await Poll.Until(() => stopped.Any(a => a.TraceId == traceId && a.OperationName.StartsWith("settle ", StringComparison.Ordinal))))
            .Should().BeTrue("the message is deleted after it was consumed");
        var spans = stopped.Where(a => a.TraceId == traceId).ToList();
        string Tag(Activity a, string key) => a.GetTagItem(key)?.ToString() ?? "";

        var names = string.Join(", ", spans.Select(a => $"{a.Source.Name}:{a.OperationName}:{a.Kind}"));
        var publish = spans.Where(a => a.Source.Name == TransportTracing.SourceName && a.Kind == ActivityKind.Producer).Should().ContainSingle(names).Subject;
        publish.OperationName.Should().StartWith("publish ");
        Tag(publish, "messaging.system").Should().Be("aws.sns");
        Tag(publish, "messaging.operation.type").Should().Be("send");
        Tag(publish, "messaging.operation.name").Should().Be("publish");
        Tag(publish, "aws.sns.topic.arn").Should().StartWith("arn:aws:sns:").And.EndWith(":" + Tag(publish, "messaging.destination.name"));
        Tag(publish, "messaging.message.id").Should().NotBeEmpty("the SNS message id comes back from Publish");
        Tag(publish, "server.address").Should().Be(emulator.ServiceUrl.Host);

        var process = spans.Where(a => a.Source.Name == TransportTracing.SourceName && a.Kind == ActivityKind.Consumer).Should().ContainSingle(names).Subject;
        process.ParentSpanId.Should().Be(publish.SpanId, "a message is processed as the child of the span that published it");
        process.TraceStateString.Should().Be("vendor=bus", "tracestate rides with traceparent");
        Tag(process, "messaging.system").Should().Be("aws_sqs");
        Tag(process, "messaging.operation.type").Should().Be("process");
        Tag(process, "aws.sqs.queue.url").Should().EndWith("/" + Tag(process, "messaging.destination.name"), "the queue's URL as SQS gave it");
        Tag(process, "messaging.message.id").Should().NotBeEmpty();

        var masstransit = spans.Where(a => a.Source.Name == "MassTransit" && a.Kind == ActivityKind.Consumer).ToList();
        masstransit.Should().NotBeEmpty();
        masstransit.Where(a => a.ParentSpanId != process.SpanId && masstransit.All(p => p.SpanId != a.ParentSpanId)).Select(a => a.OperationName)
            .Should().BeEmpty("MassTransit's receive and consume spans nest under the transport's process span");

        var settle = spans.Where(a => a.OperationName.StartsWith("settle ", StringComparison.Ordinal)).Should().ContainSingle(names).Subject;
        Tag(settle, "messaging.operation.type").Should().Be("settle");
        Tag(settle, "messaging.operation.name").Should().Be("delete");
        TracedConsumer.Seen[id].Should().Be((traceId, "vendor=bus"), "the consumer runs in the published trace and sees its tracestate");

        var queue = Tag(process, "messaging.destination.name");
        stopped.Where(a => a.Source.Name == TransportTracing.SourceName && a.OperationName == "receive " + queue)
            .Select(a => (int)a.GetTagItem("messaging.batch.message_count")!).Should().Contain(n => n >= 1, "a receive that returned the message is recorded");
    }

    public sealed class TracedConsumer : IConsumer<PingPublished>
    {
        public static readonly ConcurrentDictionary<Guid, (ActivityTraceId, string?)> Seen = new();

        public Task Consume(ConsumeContext<PingPublished> context)
        {
            Seen[context.Message.Id] = (Activity.Current?.TraceId ?? default, Activity.Current?.TraceStateString);
            return Task.CompletedTask;
        }
    }
}
