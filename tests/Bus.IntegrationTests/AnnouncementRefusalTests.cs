using System.Text.Json;
using Amazon.SQS.Model;
using Bus.Testing;
using Bus.Tooling;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>Announcements the lifecycle refuses go to model-lifecycle_error with the reason, and make or change no version.</summary>
static class Refusals
{
    public static string Announcement(string scope, string version, char sha, string producer = "trainer@test") => JsonSerializer.Serialize(new
    {
        modelName = "digits",
        modelVersion = version,
        artifactUri = $"s3://{scope}-bus-models/digits/1/model.json",
        artifactFormat = "tfjs-layers",
        artifactSha256 = new string(sha, 64),
        producer,
    });

    /// <summary>The next message of the lifecycle's error queue, waited for.</summary>
    public static async Task<Message> NextErrorAsync(EmulatorFixture emulator, HostedPipeline pipeline, HostProcess host)
    {
        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        Message? refused = null;
        await pipeline.WaitFor(async () =>
        {
            string queueUrl;
            try
            {
                // The failure queue is made with its first message.
                queueUrl = (await sqs.GetQueueUrlAsync($"{pipeline.Scope}-model-lifecycle_error")).QueueUrl;
            }
            catch (QueueDoesNotExistException)
            {
                return false;
            }

            var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = 1,
                WaitTimeSeconds = 1,
                MessageAttributeNames = ["All"],
            });
            refused = received.Messages?.FirstOrDefault();
            if (refused is not null)
                await sqs.DeleteMessageAsync(queueUrl, refused.ReceiptHandle);
            return refused is not null;
        }, "a refused announcement in model-lifecycle_error", TimeSpan.FromMinutes(1), () => host.Log);
        return refused!;
    }
}

/// <summary>A name or version with whitespace at either end is refused at the lifecycle's door, not trimmed into another version.</summary>
[Collection(EmulatorCollection.Name)]
public class When_a_producer_pads_a_model_version(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_refuse_it_to_the_error_queue_naming_the_field_and_make_no_version()
    {
        using var pipeline = new HostedPipeline(emulator, "names", output);
        await using var host = await HostProcess.StartAsync("names-host", ["lifecycle"], pipeline.Settings(pipeline.Data), default);
        await pipeline.PublishRawAsync(Refusals.Announcement(pipeline.Scope, "1\n", 'a'));

        var refused = await Refusals.NextErrorAsync(emulator, pipeline, host);
        refused.MessageAttributes["MT-Reason"].StringValue.Should().Be("refused");
        refused.MessageAttributes["MT-Fault-Message"].StringValue.Should().Contain("modelVersion '1?' is not valid").And.Contain("letters, digits");
        var status = await HostedPipeline.Cli("status", "digits", "--db", $"Data Source={Path.Combine(pipeline.Data, "bus.db")}");
        status.Error.Should().Contain("no versions of digits", "no version was made of it");
        // An expected refusal is a warning without a stack trace; a host that is still starting is not a failure either.
        host.Log.Should().Contain("Refused SQS message").And.NotContain("fail:").And.NotContain("   at ");
    }
}

/// <summary>A known version announced again with another artifact keeps its own; the producer finds out why, and so does the audit.</summary>
[Collection(EmulatorCollection.Name)]
public class When_a_producer_announces_a_known_version_again(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_refuse_another_artifact_with_both_sha256_values_and_let_the_same_one_pass()
    {
        using var pipeline = new HostedPipeline(emulator, "again", output);
        await using var host = await HostProcess.StartAsync("again-host", ["lifecycle"], pipeline.Settings(pipeline.Data), default);
        var db = $"Data Source={Path.Combine(pipeline.Data, "bus.db")}";
        await pipeline.PublishRawAsync(Refusals.Announcement(pipeline.Scope, "1", 'a'));
        await pipeline.WaitFor(async () => (await HostedPipeline.Cli("status", "digits", "1", "--db", db)).ExitCode == 0, "digits 1 known",
            TimeSpan.FromMinutes(1), () => host.Log);

        await pipeline.PublishRawAsync(Refusals.Announcement(pipeline.Scope, "1", 'a'));
        await pipeline.PublishRawAsync(Refusals.Announcement(pipeline.Scope, "1", 'b', producer: "other@test"));

        var refused = await Refusals.NextErrorAsync(emulator, pipeline, host);
        var reason = refused.MessageAttributes["MT-Fault-Message"].StringValue;
        reason.Should().Contain("re-announcement refused").And.Contain(new string('a', 64)).And.Contain(new string('b', 64));
        var status = await HostedPipeline.Cli("status", "digits", "1", "--json", "--db", db);
        status.Output.Should().Contain(new string('a', 64)).And.NotContain(new string('b', 64), "the version keeps the artifact it was announced with");
        var audit = await HostedPipeline.Cli("audit", "--db", db, "--model", "digits");
        audit.Output.Split('\n').Should().ContainSingle(l => l.Contains("re-announcement refused", StringComparison.Ordinal)).Which.Should()
            .Contain("\"actor\":\"other@test\"").And.Contain(new string('b', 64));
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
        var left = await sqs.GetQueueAttributesAsync((await sqs.GetQueueUrlAsync($"{pipeline.Scope}-model-lifecycle_error")).QueueUrl,
            ["ApproximateNumberOfMessages"]);
        left.ApproximateNumberOfMessages.Should().Be(0, "the same announcement again is a duplicate the saga ignores, not a refusal");
    }
}
