using System.Text.Json;
using Amazon.SQS.Model;
using Bus.Transport.AmazonSqs.Tests.Messages;
using Bus.Transport.AmazonSqs.Transport;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

/// <summary>The envelope alone, without the emulator: a received SQS message in; the body, headers and any refusal out.</summary>
static class Envelopes
{
    public const string Queue = "stage-consumer";
    public const string Typed = "stage-announced";
    public const string Ingress = "training-complete";
    public const string SnsId = "5f8e0c0e-2b8a-4a55-9f3e-6f1d2c3b4a59";

    const string Urn = "urn:message:Bus.Transport.AmazonSqs.Tests.Messages:StageAnnounced";

    // As an endpoint subscribes them: every topic with its message type, the ingress topic marked as well.
    public static readonly SqsEnvelope Envelope = new(
        new Dictionary<string, string> { [Typed] = Urn, [Ingress] = Urn },
        new Dictionary<string, IngressBinding> { [Ingress] = new(typeof(StageAnnounced), ["modelName"]) });

    public static Message Received(string body, Dictionary<string, string>? attributes = null, string? senderId = null) => new()
    {
        MessageId = "2a1b7f5e-0000-4000-8000-000000000001",
        Body = body,
        MessageAttributes = (attributes ?? []).ToDictionary(a => a.Key, a => new MessageAttributeValue { DataType = "String", StringValue = a.Value }),
        Attributes = senderId is null ? [] : new Dictionary<string, string> { ["SenderId"] = senderId },
    };

    /// <summary>What SNS delivers with raw delivery off: its notification JSON around the published message.</summary>
    public static string Notification(string topic, string message, Dictionary<string, string>? attributes = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Type"] = "Notification",
            ["MessageId"] = SnsId,
            ["TopicArn"] = $"arn:aws:sns:us-east-1:000000000000:{topic}",
            ["Message"] = message,
            ["MessageAttributes"] = (attributes ?? []).ToDictionary(a => a.Key, a => (object)new { Type = "String", Value = a.Value }),
        });
}

public class When_a_MassTransit_message_is_opened
{
    [Fact]
    public void Should_keep_its_body_and_headers_and_name_the_channel_itself()
    {
        var opened = Envelopes.Envelope.Open(Envelopes.Received("{\"message\":{}}", new()
        {
            [MessageHeaders.ContentType] = "application/vnd.masstransit+json",
            [SqsTransportHeaders.Topic] = "forged-topic",
            ["bus-channel-queue"] = "forged-queue",
        }, senderId: "AIDAEXAMPLE"), Envelopes.Queue);

        opened.Refused.Should().BeNull();
        opened.Body.Should().Be("{\"message\":{}}");
        opened.Headers[MessageHeaders.ContentType].Should().Be("application/vnd.masstransit+json");
        opened.Headers[SqsTransportHeaders.Queue].Should().Be(Envelopes.Queue);
        opened.Headers[SqsTransportHeaders.SqsSenderId].Should().Be("AIDAEXAMPLE");
        opened.Headers.Should().NotContainKey(SqsTransportHeaders.Topic, "a sender cannot say which topic its message came by");
    }
}

public class When_an_SNS_notification_is_opened
{
    [Fact]
    public void Should_unwrap_the_message_and_take_its_attributes_and_topic()
    {
        var opened = Envelopes.Envelope.Open(Envelopes.Received(Envelopes.Notification("other-topic", "{\"a\":1}", new()
        {
            [MessageHeaders.ContentType] = "application/vnd.masstransit+json",
        })), Envelopes.Queue);

        opened.Refused.Should().BeNull();
        opened.Body.Should().Be("{\"a\":1}");
        opened.Headers[MessageHeaders.ContentType].Should().Be("application/vnd.masstransit+json");
        opened.Headers[SqsTransportHeaders.Topic].Should().Be("other-topic");
        opened.Headers[SqsTransportHeaders.SnsMessageId].Should().Be(Envelopes.SnsId);
    }

    [Fact]
    public void Should_give_plain_json_the_type_bound_to_its_topic_and_the_SNS_message_id()
    {
        var opened = Envelopes.Envelope.Open(Envelopes.Received(Envelopes.Notification(Envelopes.Typed, "{\"modelName\":\"digits\"}")), Envelopes.Queue);

        opened.Headers[MessageHeaders.ContentType].Should().Be("application/json");
        opened.Headers[MessageHeaders.MessageType].Should().Be("urn:message:Bus.Transport.AmazonSqs.Tests.Messages:StageAnnounced");
        opened.Headers[MessageHeaders.MessageId].Should().Be(Envelopes.SnsId);
    }

    [Fact]
    public void Should_mark_plain_json_from_an_unknown_topic_with_a_type_nobody_consumes()
    {
        var opened = Envelopes.Envelope.Open(Envelopes.Received(Envelopes.Notification("unbound", "{\"modelName\":\"digits\"}")), Envelopes.Queue);

        opened.Headers[MessageHeaders.MessageType].Should().Be(SqsEnvelope.UnknownMessageType);
    }
}

public class When_a_producer_publishes_on_an_ingress_topic
{
    [Fact]
    public void Should_believe_nothing_it_says_about_type_or_content_and_keep_only_trace_and_filter_attributes()
    {
        var opened = Envelopes.Envelope.Open(Envelopes.Received(Envelopes.Notification(Envelopes.Ingress, "{\"modelName\":\"digits\",\"modelVersion\":\"1\"}",
            new()
            {
                [MessageHeaders.MessageType] = "urn:message:Bus.Contracts:RollbackModel",
                [MessageHeaders.ContentType] = "application/json",
                [SqsSendTransportContext.TraceParentAttribute] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                ["modelName"] = "digits",
                [SqsTransportHeaders.Queue] = "forged",
            })), Envelopes.Queue);

        opened.Refused.Should().BeNull();
        opened.Headers[MessageHeaders.MessageType].Should().Be("urn:message:Bus.Transport.AmazonSqs.Tests.Messages:StageAnnounced");
        opened.Headers[MessageHeaders.ContentType].Should().Be("application/json");
        opened.Headers[SqsSendTransportContext.TraceParentAttribute].Should().StartWith("00-0af7651916cd43dd");
        opened.Headers["modelName"].Should().Be("digits");
        opened.Headers[SqsTransportHeaders.Queue].Should().Be(Envelopes.Queue);
    }

    [Theory]
    [InlineData("{\"message\":{},\"messageType\":[\"urn:message:Bus.Contracts:RollbackModel\"]}", "MassTransit envelope")]
    [InlineData("[1,2]", "not an object")]
    [InlineData("not json", "not JSON")]
    public void Should_refuse_what_is_not_its_data_with_the_reason(string body, string reason)
    {
        var opened = Envelopes.Envelope.Open(Envelopes.Received(Envelopes.Notification(Envelopes.Ingress, body)), Envelopes.Queue);

        opened.Refused.Should().Contain(reason).And.Contain(Envelopes.Ingress);
    }

    [Fact]
    public void Should_refuse_a_content_type_other_than_json()
    {
        var opened = Envelopes.Envelope.Open(Envelopes.Received(Envelopes.Notification(Envelopes.Ingress, "{\"modelName\":\"x\"}",
            new() { [MessageHeaders.ContentType] = "application/vnd.masstransit+json" })), Envelopes.Queue);

        opened.Refused.Should().Contain("content type 'application/vnd.masstransit+json'");
    }
}

public class When_the_trace_of_a_received_message_is_followed
{
    const string Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void Should_start_from_the_senders_traceparent_when_no_process_span_listens()
    {
        var headers = new Dictionary<string, string> { [SqsSendTransportContext.TraceParentAttribute] = Traceparent };

        SqsEnvelope.FollowTrace(headers, processSpan: false);

        headers[SqsSendTransportContext.ActivityIdHeader].Should().Be(Traceparent);
    }

    [Fact]
    public void Should_start_under_the_process_span_when_there_is_one()
    {
        var headers = new Dictionary<string, string>
        {
            [SqsSendTransportContext.TraceParentAttribute] = Traceparent,
            [SqsSendTransportContext.ActivityIdHeader] = Traceparent,
        };

        SqsEnvelope.FollowTrace(headers, processSpan: true);

        headers.Should().NotContainKey(SqsSendTransportContext.ActivityIdHeader);
    }
}
