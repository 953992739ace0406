using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs.Sns;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

/// <summary>An ingress topic with the producers' own rule: a body that reads as the type but breaks the rule is refused at the door.</summary>
[Collection(EmulatorCollection.Name)]
public class When_a_producer_breaks_the_rule_of_an_ingress_topic(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_refuse_it_to_the_error_queue_with_the_rule_and_let_the_rest_through()
    {
        await using var h = await TransportHarness.Start(emulator.ServiceUrl,
            x => x.AddConsumer<IngressConsumer>().Endpoint(e => e.Name = "ingress-rule"),
            (_, cfg) => cfg.AcceptPlainJson<StageAnnounced>(m => m.ModelVersion.Trim() == m.ModelVersion ? null : "modelVersion has whitespace at an end"));
        using var sns = new SnsClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
        var topicArn = await sns.CreateTopicAsync(h.Topic("Bus-Transport-AmazonSqs-Tests-Messages-StageAnnounced"));

        const string Padded = """{"modelName":"digits","modelVersion":"1\n","accuracy":0.9}""";
        await sns.PublishAsync(topicArn, Padded);
        await sns.PublishAsync(topicArn, """{"modelName":"digits","modelVersion":"2","accuracy":0.9}""");

        var error = (await h.Drain(emulator.ServiceUrl, "ingress-rule_error", 1, TimeSpan.FromSeconds(30))).Should().ContainSingle().Subject;
        error.MessageAttributes["MT-Reason"].StringValue.Should().Be("refused");
        error.MessageAttributes["MT-Fault-Message"].StringValue.Should().Be("refused: modelVersion has whitespace at an end");
        error.Body.Should().Be(Padded);
        (await Poll.Until(() => h.Harness.Consumed.Snapshot<StageAnnounced>(x => x.Context.Message.ModelVersion == "2").Any())).Should().BeTrue();
        h.Harness.Consumed.Snapshot<StageAnnounced>(x => x.Context.Message.ModelVersion != "2").Should().BeEmpty("no consumer sees a refused body");
    }
}
