using Bus.Testing;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;

namespace Bus.Transport.AmazonSqs.Tests;

public sealed class Audit(Recorder recorder, string name) : IConsumer<PingPublished>
{
    public Task Consume(ConsumeContext<PingPublished> context)
    {
        recorder.Record(name, context.Message.Id);
        return Task.CompletedTask;
    }
}

public sealed class Recorder
{
    readonly List<(string Who, Guid Id)> _seen = [];

    public void Record(string who, Guid id)
    {
        lock (_seen)
            _seen.Add((who, id));
    }

    public IReadOnlyList<(string Who, Guid Id)> Seen
    {
        get
        {
            lock (_seen)
                return _seen.ToList();
        }
    }

    public async Task<bool> WaitFor(Func<IReadOnlyList<(string Who, Guid Id)>, bool> done, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (done(Seen))
                return true;
            await Task.Delay(100);
        }

        return done(Seen);
    }
}

[Collection(EmulatorCollection.Name)]
public class When_three_endpoints_consume_one_event(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_deliver_it_to_each_endpoint_exactly_once()
    {
        var recorder = new Recorder();
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, _ => { }, (_, cfg) =>
        {
            foreach (var name in new[] { "dashboard", "evaluation", "tagging" })
                cfg.ReceiveEndpoint(name, e => e.Consumer(() => new Audit(recorder, name)));
        });
        var ids = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();

        foreach (var id in ids)
            await h.Harness.Bus.Publish(new PingPublished(id, "fan-out"));

        (await recorder.WaitFor(s => s.Count >= 15, TimeSpan.FromSeconds(30))).Should().BeTrue();
        await Task.Delay(2000);
        recorder.Seen.Should().HaveCount(15);
        recorder.Seen.GroupBy(s => s.Who).Should().HaveCount(3).And.OnlyContain(g => g.Select(x => x.Id).OrderBy(x => x).SequenceEqual(ids.OrderBy(x => x)));
    }
}
