using Amazon.SQS.Model;
using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

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
        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var url = await h.QueueUrl(sqs, "ping");

        await sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = url,
            MessageBody = "{ this is not json",
            MessageAttributes = new()
            {
                ["Content-Type"] = new MessageAttributeValue
                {
                    DataType = "String",
                    StringValue = "application/vnd.masstransit+json"
                }
            },
        });
        var id = Guid.NewGuid();
        await h.Harness.Bus.Publish(new PingPublished(id, "after the poison"));

        (await Poll.Until(() => h.Harness.Consumed.Snapshot<PingPublished>(x => x.Context.Message.Id == id).Any())).Should()
            .BeTrue("the receive loop must survive a poison message");
        var errors = await h.Drain(emulator.ServiceUrl, "ping_error", 1, TimeSpan.FromSeconds(20));
        errors.Should().ContainSingle().Which.Body.Should().Be("{ this is not json");
        errors[0].MessageAttributes["MT-Fault-Message"].StringValue.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task Should_skip_a_message_of_no_known_type()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<PingConsumer>());
        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var url = await h.QueueUrl(sqs, "ping");

        await sqs.SendMessageAsync(url, """{"something":"else"}""");

        var skipped = await h.Drain(emulator.ServiceUrl, "ping_skipped", 1, TimeSpan.FromSeconds(20));
        skipped.Should().ContainSingle().Which.Body.Should().Be("""{"something":"else"}""");
        skipped[0].MessageAttributes["MT-Reason"].StringValue.Should().NotBeNullOrWhiteSpace();
    }
}

/// <summary>Fails until an operator fixes the cause; records what it handled once fixed.</summary>
public sealed class FixableCause
{
    public volatile bool Fixed;
    public System.Collections.Concurrent.ConcurrentDictionary<Guid, int> Handled { get; } = new();
}

public sealed class FixableConsumer(FixableCause cause) : IConsumer<PingPublished>
{
    public Task Consume(ConsumeContext<PingPublished> context)
    {
        if (!cause.Fixed)
            throw new InvalidOperationException("the model store is misconfigured");
        cause.Handled.AddOrUpdate(context.Message.Id, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}

[Collection(EmulatorCollection.Name)]
public class When_an_operator_redrives_failed_messages(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_show_them_with_the_reason_and_move_them_back_once_the_cause_is_fixed()
    {
        var cause = new FixableCause();
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<FixableConsumer>().Endpoint(e => e.Name = "fixable"),
            services: s => s.AddSingleton(cause));
        await using var client = new Transport.SqsEntityClient(new AmazonSqsHostSettings
        {
            ServiceUrl = emulator.ServiceUrl,
            Credentials = EmulatorClients.Credentials,
            Scope = h.Scope,
            CreateEntities = false,
        });
        var failed = new FailedMessages(client);
        (await failed.PeekAsync("fixable", FailureQueue.Error, 10, default)).Should().BeEmpty("no failure queue yet");

        var ids = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in ids)
            await h.Harness.Bus.Publish(new PingPublished(id, "x"));

        IReadOnlyList<FailedMessage> seen = [];
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until && (seen = await failed.PeekAsync("fixable", FailureQueue.Error, 10, default)).Count < 3)
            await Task.Delay(300);
        seen.Should().HaveCount(3);
        seen.Should().OnlyContain(m => m.ExceptionMessage == "the model store is misconfigured" && m.ExceptionType == typeof(InvalidOperationException).FullName
            && m.Reason == "fault" && m.FailedAt != null && m.FailureQueue == h.Queue("fixable_error"));
        seen.Select(m => ids.Single(id => m.Body.Contains(id.ToString(), StringComparison.Ordinal))).Should().BeEquivalentTo(ids);
        (await failed.PeekAsync("fixable", FailureQueue.Error, 10, default)).Should().HaveCount(3, "looking takes nothing away");

        cause.Fixed = true;
        (await failed.RedriveAsync("fixable", FailureQueue.Error, 100, default)).Should().Be(3);

        (await Poll.Until(() => ids.All(cause.Handled.ContainsKey), TimeSpan.FromSeconds(30))).Should()
            .BeTrue("each message is consumed again once moved back");
        await Task.Delay(1000);
        cause.Handled.Values.Should().OnlyContain(n => n == 1);
        (await failed.PeekAsync("fixable", FailureQueue.Error, 10, default)).Should().BeEmpty();
        (await failed.RedriveAsync("fixable", FailureQueue.Skipped, 10, default)).Should().Be(0, "no skipped queue exists");
    }
}
