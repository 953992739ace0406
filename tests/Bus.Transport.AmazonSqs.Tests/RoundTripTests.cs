using Bus.Testing;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

public sealed class PingConsumer : IConsumer<PingPublished>
{
    public Task Consume(ConsumeContext<PingPublished> context) => Task.CompletedTask;
}

[Collection(EmulatorCollection.Name)]
public class When_a_message_is_published(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_reach_the_consumer_through_SNS_and_SQS()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<PingConsumer>());
        var id = Guid.NewGuid();

        await h.Harness.Bus.Publish(new PingPublished(id, "hello"));

        (await Poll.Until(() => h.Harness.Consumed.Snapshot<PingPublished>(x => x.Context.Message.Id == id).Any())).Should().BeTrue();
        var consumed = (await h.Harness.Consumed.ExactlyOne<PingPublished>(x => x.Context.Message.Id == id)).Context;
        consumed.Message.Text.Should().Be("hello");
        consumed.ReceiveContext.InputAddress!.AbsolutePath.Should().EndWith("/ping");
    }
}
