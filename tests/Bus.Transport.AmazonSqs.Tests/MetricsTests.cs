using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Bus.Testing;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

/// <summary>The transport's instruments over the emulator, per queue: what an operator pages on.</summary>
[Collection(EmulatorCollection.Name)]
public class When_messages_are_processed_and_fail(EmulatorFixture emulator)
{
    sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);

    [Fact]
    public async Task Should_measure_received_processed_faulted_lag_depth_and_moves_per_queue()
    {
        var measured = new ConcurrentBag<Measured>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TransportMetrics.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            measured.Add(new Measured(instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        listener.Start();

        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<FailingConsumer>().Endpoint(e => e.Name = "metered"));
        var queue = h.Scope + "-metered";
        IEnumerable<Measured> Of(string name) =>
            measured.Where(m => m.Instrument == name && Equals(m.Tags.GetValueOrDefault(TransportMetrics.QueueTag), queue));

        await h.Harness.Bus.Publish(new PingPublished(Guid.NewGuid(), "fine"));
        await h.Harness.Bus.Publish(new PingPublished(Guid.NewGuid(), "fail"));

        (await Poll.Until(() => Of("bus.sqs.messages.moved").Any(), TimeSpan.FromSeconds(30))).Should().BeTrue("the failing message goes to _error");
        (await Poll.Until(() => Of("bus.sqs.process.duration").Count() >= 2, TimeSpan.FromSeconds(30))).Should().BeTrue();

        Of("bus.sqs.messages.moved").Single().Tags["bus.failure_queue"].Should().Be("error");
        Of("bus.sqs.process.duration").Select(m => m.Tags["bus.outcome"]).Should().BeEquivalentTo(["processed", "faulted"]);
        Of("bus.sqs.process.duration").Should().OnlyContain(m => m.Value >= 0);
        Of("bus.sqs.messages.received").Sum(m => m.Value).Should().BeGreaterThanOrEqualTo(2);
        Of("bus.sqs.message.lag").Should().NotBeEmpty().And.OnlyContain(m => m.Value >= 0 && m.Value < 60, "lag from SentTimestamp, in seconds");

        // The gauges: each endpoint samples its queue's depth as it starts receiving, and then every QueueDepthInterval.
        (await Poll.Until(() =>
        {
            listener.RecordObservableInstruments();
            return Of("bus.sqs.queue.depth").Any() && Of("bus.sqs.queue.in_flight").Any();
        }, TimeSpan.FromSeconds(30))).Should().BeTrue("the depth of every queue a host receives from is sampled");
        Of("bus.sqs.queue.depth").Should().OnlyContain(m => m.Value >= 0);
    }
}
