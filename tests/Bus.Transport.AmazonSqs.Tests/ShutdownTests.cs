using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Transport.AmazonSqs.Tests;

[Collection(EmulatorCollection.Name)]
public class When_a_host_stops_while_a_message_is_in_flight(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_let_it_finish_and_leave_nothing_behind()
    {
        var recorder = new Recorder();
        var h = await TransportHarness.Start(emulator.ServiceUrl, _ => { }, (_, cfg) =>
            cfg.ReceiveEndpoint("stopping-work", e => e.Consumer(() => new SlowConsumer(recorder))),
            services: s => s.AddSingleton(recorder));
        var id = Guid.NewGuid();
        await h.Harness.Bus.Publish(new WorkRequested(id, 4));
        (await recorder.WaitFor(s => s.Any(x => x.Who == "started"), TimeSpan.FromSeconds(20))).Should().BeTrue();

        await h.DisposeAsync();

        recorder.Seen.Should().Contain(("finished", id), "stopping waits for the message in flight");
        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var attributes = await sqs.GetQueueAttributesAsync(await h.QueueUrl(sqs, "stopping-work"), ["ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible"]);
        (attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible).Should().Be(0,
            "a message that finished during shutdown is deleted");
    }
}
