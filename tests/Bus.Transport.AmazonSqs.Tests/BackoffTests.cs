using Bus.Shared;

namespace Bus.Transport.AmazonSqs.Tests;

public class The_backoff
{
    [Fact]
    public void Should_double_from_the_first_wait_up_to_the_cap()
    {
        var waits = Enumerable.Range(1, 8).Select(n => Backoff.Exponential(n, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30))).ToList();

        waits.Select(w => w.TotalMilliseconds).Should().Equal(500, 1000, 2000, 4000, 8000, 16000, 30000, 30000);
        Backoff.Exponential(10_000, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)).Should().Be(TimeSpan.FromMinutes(5), "no overflow");
    }

    [Fact]
    public void Should_spread_a_jittered_wait_over_half_to_one_and_a_half_times()
    {
        var waits = Enumerable.Range(0, 200)
            .Select(_ => Backoff.Jittered(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10)).TotalMilliseconds).ToList();

        waits.Should().OnlyContain(w => w >= 200 && w < 600);
        waits.Distinct().Should().HaveCountGreaterThan(100, "hosts that failed together do not retry together");
    }
}
