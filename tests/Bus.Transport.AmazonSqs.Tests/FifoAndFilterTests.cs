using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

public sealed class OrderedConsumer(Recorder recorder, List<string> order) : IConsumer<StageAnnounced>
{
    public async Task Consume(ConsumeContext<StageAnnounced> context)
    {
        await Task.Delay(20);
        lock (order)
            order.Add($"{context.Message.ModelName}:{context.Message.ModelVersion}");
        recorder.Record(context.Message.ModelName, Guid.Empty);
    }
}

[Collection(EmulatorCollection.Name)]
public class When_messages_go_through_a_fifo_queue(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_keep_each_groups_order()
    {
        var recorder = new Recorder();
        var order = new List<string>();
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, _ => { }, (_, cfg) =>
            cfg.ReceiveEndpoint("stage-events.fifo", e =>
            {
                e.ConfigureConsumeTopology = false;
                e.Consumer(() => new OrderedConsumer(recorder, order));
            }));
        var endpoint = await h.Harness.Bus.GetSendEndpoint(new Uri("queue:stage-events.fifo"));

        for (var i = 1; i <= 10; i++)
        {
            foreach (var model in new[] { "digits", "iris" })
            {
                var version = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await endpoint.Send(new StageAnnounced { ModelName = model, ModelVersion = version }, c => c.SetGroupId(model));
            }
        }

        (await recorder.WaitFor(s => s.Count >= 20, TimeSpan.FromSeconds(60))).Should().BeTrue();
        foreach (var model in new[] { "digits", "iris" })
        {
            lock (order)
                order.Where(o => o.StartsWith(model + ":", StringComparison.Ordinal)).Select(o => int.Parse(o[(model.Length + 1)..],
                    System.Globalization.CultureInfo.InvariantCulture))
                    .Should().Equal(Enumerable.Range(1, 10), $"{model} events must stay in order");
        }

        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var attributes = await sqs.GetQueueAttributesAsync(await h.QueueUrl(sqs, "stage-events.fifo"), ["FifoQueue"]);
        attributes.Attributes["FifoQueue"].Should().Be("true");
    }
}

[Collection(EmulatorCollection.Name)]
public class When_a_subscription_has_a_filter_policy(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_deliver_only_matching_messages_to_that_queue()
    {
        var recorder = new Recorder();
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, _ => { }, (_, cfg) =>
        {
            cfg.FilterAttribute<PingPublished>("lane", m => m.Text);
            cfg.ReceiveEndpoint("only-digits", e =>
            {
                e.ConfigureConsumeTopology = false;
                e.Subscribe<PingPublished>("""{"lane":["digits"]}""");
                e.Consumer(() => new Audit(recorder, "only-digits"));
            });
            cfg.ReceiveEndpoint("everything", e => e.Consumer(() => new Audit(recorder, "everything")));
        });
        var digits = Guid.NewGuid();
        var iris = Guid.NewGuid();

        await h.Harness.Bus.Publish(new PingPublished(digits, "digits"));
        await h.Harness.Bus.Publish(new PingPublished(iris, "iris"));

        (await recorder.WaitFor(s => s.Count >= 3, TimeSpan.FromSeconds(30))).Should().BeTrue();
        await Task.Delay(2000);
        recorder.Seen.Where(s => s.Who == "only-digits").Select(s => s.Id).Should().Equal(digits);
        recorder.Seen.Where(s => s.Who == "everything").Select(s => s.Id).Should().BeEquivalentTo(new[] { digits, iris });
    }
}
