using System.Text.Json;
using Amazon.SQS.Model;
using Bus.Testing;
using Bus.Tooling;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>A name or version with whitespace at either end is refused at the lifecycle's door, not trimmed into another version.</summary>
[Collection(EmulatorCollection.Name)]
public class When_a_producer_pads_a_model_version(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_refuse_it_to_the_error_queue_naming_the_field_and_make_no_version()
    {
        using var pipeline = new HostedPipeline(emulator, "names", output);
        await using var host = await HostProcess.StartAsync("names-host", ["lifecycle"], pipeline.Settings(pipeline.Data), default);
        await pipeline.PublishRawAsync(JsonSerializer.Serialize(new
        {
            modelName = "digits",
            modelVersion = "1\n",
            artifactUri = $"s3://{pipeline.Scope}-bus-models/digits/1/model.json",
            artifactFormat = "tfjs-layers",
            artifactSha256 = new string('a', 64),
        }));

        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var queueUrl = (await sqs.GetQueueUrlAsync($"{pipeline.Scope}-model-lifecycle_error")).QueueUrl;
        Message? refused = null;
        await pipeline.WaitFor(async () =>
        {
            var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = 1,
                WaitTimeSeconds = 1,
                MessageAttributeNames = ["All"],
            });
            refused = received.Messages?.FirstOrDefault();
            return refused is not null;
        }, "the padded announcement in model-lifecycle_error", TimeSpan.FromMinutes(1), () => host.Log);

        refused!.MessageAttributes["MT-Reason"].StringValue.Should().Be("refused");
        refused.MessageAttributes["MT-Fault-Message"].StringValue.Should().Contain("modelVersion '1?' is not valid").And.Contain("letters, digits");
        var status = await HostedPipeline.Cli("status", "digits", "--db", $"Data Source={Path.Combine(pipeline.Data, "bus.db")}");
        status.Error.Should().Contain("no versions of digits", "no version was made of it");
    }
}
