using Bus.Tooling;
using Bus.Transport.AmazonSqs.Tests.Messages;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Transport.AmazonSqs.Tests;

public sealed class SteadyConsumer(Recorder recorder) : IConsumer<PingPublished>
{
    public async Task Consume(ConsumeContext<PingPublished> context)
    {
        await Task.Delay(200, context.CancellationToken);
        recorder.Record("consumed", context.Message.Id);
    }
}

/// <summary>Its own emulator: this test stops it.</summary>
public class When_AWS_is_unreachable_for_a_while
{
    [Fact]
    public async Task Should_reconnect_and_lose_nothing()
    {
        await using var emulator = await EmulatorProcess.StartAsync(persistent: true);
        var recorder = new Recorder();
        await using var h = await TransportHarness.Start(emulator.ServiceUrl, x => x.AddConsumer<SteadyConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 2),
            services: s => s.AddSingleton(recorder));
        var before = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in before)
            await h.Harness.Bus.Publish(new PingPublished(id, "before"));

        // Stop while part of the batch is still queued or in flight.
        await Task.Delay(500);
        await emulator.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(10));
        await emulator.StartAgainAsync();

        var after = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in after)
            await h.Harness.Bus.Publish(new PingPublished(id, "after"));

        var all = before.Concat(after).ToHashSet();
        (await recorder.WaitFor(s => all.IsSubsetOf(s.Select(x => x.Id)), TimeSpan.FromSeconds(90))).Should().BeTrue(
            $"every message must arrive; missing {all.Except(recorder.Seen.Select(x => x.Id)).Count()} of {all.Count}");
    }
}
