namespace Bus.Transport.AmazonSqs.Tests;

public class When_entity_names_are_made
{
    [Theory]
    [InlineData("training.complete", "training-complete")]
    [InlineData("Bus.Contracts:ModelDeployed", "Bus-Contracts-ModelDeployed")]
    [InlineData("évaluer modèle", "_valuer-mod_le")]
    [InlineData("orders.fifo", "orders.fifo")]
    [InlineData("a.b.fifo", "a-b.fifo")]
    public void Should_keep_only_what_SNS_and_SQS_accept(string input, string expected) =>
        EntityNames.Topic(input).Should().Be(expected);

    [Fact]
    public void Should_shorten_long_queue_names_within_80_characters_without_collisions()
    {
        var a = EntityNames.Queue(new string('q', 100) + "-a");
        var b = EntityNames.Queue(new string('q', 100) + "-b");
        a.Length.Should().Be(80);
        b.Length.Should().Be(80);
        a.Should().NotBe(b);
        EntityNames.IsValid(a, 80).Should().BeTrue();
    }

    [Fact]
    public void Should_keep_the_fifo_suffix_when_shortening()
    {
        var name = EntityNames.Queue(new string('f', 120) + ".fifo");
        name.Should().EndWith(".fifo");
        name.Length.Should().Be(80);
    }

    [Fact]
    public void Should_prefix_the_scope() =>
        EntityNames.Queue("evaluate-model", "prod").Should().Be("prod-evaluate-model");

    [Fact]
    public void Should_name_topics_by_the_entity_name_attribute_or_the_type()
    {
        Topology.DefaultTopicNameFormatter.Instance.FormatEntityName<Messages.PingPublished>().Should()
            .Be("Bus-Transport-AmazonSqs-Tests-Messages-PingPublished");
        Topology.DefaultTopicNameFormatter.Instance.FormatEntityName<Named>().Should().Be("custom-topic");
    }

    [MassTransit.EntityName("custom.topic")]
    public sealed record Named(int X);
}
