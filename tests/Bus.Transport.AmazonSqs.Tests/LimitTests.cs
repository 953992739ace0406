using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

[Collection(EmulatorCollection.Name)]
public class When_a_message_is_too_large(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_refuse_a_publish_over_256_KiB_at_send()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<PingConsumer>());

        var act = () => h.Harness.Bus.Publish(new PingPublished(Guid.NewGuid(), new string('x', 300 * 1024)));

        (await act.Should().ThrowAsync<MessageTooLargeException>()).Which.Message.Should().Contain("SNS accepts at most 262,144");
        (await h.Harness.Consumed.Any<PingPublished>()).Should().BeFalse();
    }

    [Fact]
    public async Task Should_refuse_a_send_over_1_MiB_and_accept_one_under_it()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<PingConsumer>());
        var endpoint = await h.Harness.Bus.GetSendEndpoint(new Uri("queue:ping"));

        var tooBig = () => endpoint.Send(new PingPublished(Guid.NewGuid(), new string('x', 1100 * 1024)));
        (await tooBig.Should().ThrowAsync<MessageTooLargeException>()).Which.Message.Should().Contain("SQS accepts at most 1,048,576");

        var id = Guid.NewGuid();
        await endpoint.Send(new PingPublished(id, new string('y', 500 * 1024)));
        (await Poll.Until(() => h.Harness.Consumed.Snapshot<PingPublished>(x => x.Context.Message.Id == id).Any())).Should()
            .BeTrue("a 500 KiB message fits SQS");
    }
}

[Collection(EmulatorCollection.Name)]
public class When_a_message_is_sent_with_a_delay(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_arrive_after_the_delay()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<PingConsumer>());
        var endpoint = await h.Harness.Bus.GetSendEndpoint(new Uri("queue:ping"));
        var id = Guid.NewGuid();
        var sent = DateTime.UtcNow;

        await endpoint.Send(new PingPublished(id, "later"), c => c.Delay = TimeSpan.FromSeconds(3));

        (await h.WaitForConsumed<PingPublished>(m => m.Id == id, TimeSpan.FromSeconds(20))).Should().BeTrue();
        (DateTime.UtcNow - sent).Should().BeGreaterThan(TimeSpan.FromSeconds(2.5));
    }

    [Fact]
    public async Task Should_refuse_a_delay_beyond_15_minutes()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<PingConsumer>());
        var endpoint = await h.Harness.Bus.GetSendEndpoint(new Uri("queue:ping"));

        var act = () => endpoint.Send(new PingPublished(Guid.NewGuid(), "too late"), c => c.Delay = TimeSpan.FromMinutes(16));

        (await act.Should().ThrowAsync<ArgumentOutOfRangeException>()).Which.Message.Should().Contain("at most 15 minutes");
    }
}

[Collection(EmulatorCollection.Name)]
public class When_an_endpoint_name_is_too_long_for_SQS(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_create_a_valid_queue_and_still_receive()
    {
        var name = "model-lifecycle-" + new string('a', 90) + ".stage";
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, _ => { }, (_, cfg) =>
            cfg.ReceiveEndpoint(name, e => e.Consumer<PingConsumer>()));
        var id = Guid.NewGuid();

        await h.Harness.Bus.Publish(new PingPublished(id, "long"));

        (await Poll.Until(() => h.Harness.Consumed.Snapshot<PingPublished>(x => x.Context.Message.Id == id).Any())).Should().BeTrue();
        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var queues = await sqs.ListQueuesAsync(new Amazon.SQS.Model.ListQueuesRequest { QueueNamePrefix = h.Scope });
        queues.QueueUrls.Select(u => u[(u.LastIndexOf('/') + 1)..]).Should().OnlyContain(q => q.Length <= 80 && !q.Contains('.'));
    }
}
