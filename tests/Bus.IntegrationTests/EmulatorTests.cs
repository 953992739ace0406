using Amazon.SQS.Model;
using Bus.Testing;
using Bus.Tooling;

namespace Bus.IntegrationTests;

[Collection(EmulatorCollection.Name)]
public class When_the_emulator_is_started_by_the_fixture(EmulatorFixture fixture)
{
    [Fact]
    public async Task Should_listen_on_loopback_and_answer_health()
    {
        fixture.ServiceUrl.Host.Should().Be("127.0.0.1");
        using var http = new HttpClient();
        var health = await http.GetStringAsync(new Uri(fixture.ServiceUrl, "/health"));
        health.Should().Contain("ok");
    }

    [Fact]
    public async Task Should_create_a_queue_and_carry_a_message_through_the_SQS_SDK()
    {
        using var sqs = EmulatorClients.Sqs(fixture.ServiceUrl);
        var name = $"smoke-{Guid.NewGuid():N}";

        var queue = await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name });
        // The emulator's queue URLs name a host that does not resolve; the client always talks to the service URL.
        await sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = queue.QueueUrl,
            MessageBody = """{"hello":"bus"}""",
            MessageAttributes = new() { ["kind"] = new MessageAttributeValue { DataType = "String", StringValue = "smoke" } },
        });
        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = queue.QueueUrl,
            WaitTimeSeconds = 5,
            MaxNumberOfMessages = 10,
            MessageAttributeNames = ["All"],
        });

        var message = received.Messages.Should().ContainSingle().Subject;
        message.Body.Should().Be("""{"hello":"bus"}""");
        message.MessageAttributes["kind"].StringValue.Should().Be("smoke");
        await sqs.DeleteMessageAsync(queue.QueueUrl, message.ReceiptHandle);
        var after = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queue.QueueUrl, WaitTimeSeconds = 1 });
        (after.Messages ?? []).Should().BeEmpty();
    }
}

public class When_the_emulator_is_stopped_and_started_again
{
    [Fact]
    public async Task Should_come_back_on_the_same_port_with_its_queues_and_messages()
    {
        await using var emulator = await EmulatorProcess.StartAsync(persistent: true);
        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var queue = await sqs.CreateQueueAsync($"restart-{Guid.NewGuid():N}");
        await sqs.SendMessageAsync(queue.QueueUrl, "kept");
        var pid = emulator.Pid;

        await emulator.StopAsync();
        emulator.IsRunning.Should().BeFalse();
        await emulator.StartAgainAsync();

        emulator.Pid.Should().NotBe(pid);
        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queue.QueueUrl, WaitTimeSeconds = 2 });
        received.Messages.Should().ContainSingle().Which.Body.Should().Be("kept");
    }
}
