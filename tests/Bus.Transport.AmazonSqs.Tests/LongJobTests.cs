using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Transport.AmazonSqs.Tests;

public sealed class SlowConsumer(Recorder recorder) : IConsumer<WorkRequested>
{
    public async Task Consume(ConsumeContext<WorkRequested> context)
    {
        recorder.Record("started", context.Message.Id);
        await Task.Delay(TimeSpan.FromSeconds(context.Message.Seconds), context.CancellationToken);
        recorder.Record("finished", context.Message.Id);
    }
}

[Collection(EmulatorCollection.Name)]
public class When_a_job_outlasts_the_visibility_timeout(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_be_delivered_once_and_deleted_after()
    {
        var recorder = new Recorder();
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, _ => { }, (context, cfg) =>
            cfg.ReceiveEndpoint("slow-work", e =>
            {
                e.VisibilityTimeoutSeconds = 30;
                e.Consumer(() => new SlowConsumer(recorder));
            }),
            services: s => s.AddSingleton(recorder));
        var id = Guid.NewGuid();

        await h.Harness.Bus.Publish(new WorkRequested(id, 90));

        (await recorder.WaitFor(s => s.Any(x => x.Who == "finished"), TimeSpan.FromSeconds(150))).Should().BeTrue();
        await Task.Delay(TimeSpan.FromSeconds(5));
        recorder.Seen.Count(x => x.Who == "started").Should().Be(1, "the visibility timeout must be extended while the job runs");

        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var attributes = await sqs.GetQueueAttributesAsync(await h.QueueUrl(sqs, "slow-work"), ["ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible"]);
        attributes.ApproximateNumberOfMessages.Should().Be(0);
        attributes.ApproximateNumberOfMessagesNotVisible.Should().Be(0, "the message is deleted once the job succeeds");
    }
}
