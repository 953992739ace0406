using System.Text;
using Amazon.SQS.Model;
using Bus.Testing;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

public sealed class FailingConsumer : IConsumer<PingPublished>
{
    public Task Consume(ConsumeContext<PingPublished> context) =>
        context.Message.Text == "fail" ? throw new InvalidOperationException($"cannot handle {context.Message.Id}") : Task.CompletedTask;
}

[Collection(EmulatorCollection.Name)]
public class When_a_consumer_keeps_failing(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_move_the_message_to_the_error_queue_with_the_exception()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<FailingConsumer>().Endpoint(e => e.Name = "faulty"));
        var id = Guid.NewGuid();

        await h.Harness.Bus.Publish(new PingPublished(id, "fail"));

        var errors = await h.Drain(emulator.ServiceUrl, "faulty_error", 1, TimeSpan.FromSeconds(30));
        var error = errors.Should().ContainSingle().Subject;
        error.MessageAttributes["MT-Reason"].StringValue.Should().Be("fault");
        error.MessageAttributes["MT-Fault-ExceptionType"].StringValue.Should().Be(typeof(InvalidOperationException).FullName);
        error.MessageAttributes["MT-Fault-Message"].StringValue.Should().Be($"cannot handle {id}");
        error.MessageAttributes["MT-Fault-StackTrace"].StringValue.Should().Contain(nameof(FailingConsumer));
        error.MessageAttributes.Should().ContainKey("Content-Type");
        error.MessageAttributes.Count.Should().BeLessThanOrEqualTo(10);
        error.Body.Should().Contain(id.ToString());
    }
}

[Collection(EmulatorCollection.Name)]
public class When_a_message_body_is_not_valid_json(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_move_it_to_the_error_queue_and_keep_receiving()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<PingConsumer>());
        using var sqs = AwsClients.Sqs(emulator.ServiceUrl);
        var url = await h.QueueUrl(sqs, "ping");

        await sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = url,
            MessageBody = "{ this is not json",
            MessageAttributes = new() { ["Content-Type"] = new MessageAttributeValue { DataType = "String", StringValue = "application/vnd.masstransit+json" } },
        });
        var id = Guid.NewGuid();
        await h.Harness.Bus.Publish(new PingPublished(id, "after the poison"));

        (await Poll.Until(() => h.Harness.Consumed.Snapshot<PingPublished>(x => x.Context.Message.Id == id).Any())).Should().BeTrue("the receive loop must survive a poison message");
        var errors = await h.Drain(emulator.ServiceUrl, "ping_error", 1, TimeSpan.FromSeconds(20));
        errors.Should().ContainSingle().Which.Body.Should().Be("{ this is not json");
        errors[0].MessageAttributes["MT-Fault-Message"].StringValue.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task Should_skip_a_message_of_no_known_type()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<PingConsumer>());
        using var sqs = AwsClients.Sqs(emulator.ServiceUrl);
        var url = await h.QueueUrl(sqs, "ping");

        await sqs.SendMessageAsync(url, """{"something":"else"}""");

        var skipped = await h.Drain(emulator.ServiceUrl, "ping_skipped", 1, TimeSpan.FromSeconds(20));
        skipped.Should().ContainSingle().Which.Body.Should().Be("""{"something":"else"}""");
        skipped[0].MessageAttributes["MT-Reason"].StringValue.Should().NotBeNullOrWhiteSpace();
    }
}
