using System.Net;
using System.Net.Sockets;
using Bus.Tooling;

namespace Bus.IntegrationTests;

public class When_a_test_server_needs_a_port
{
    [Fact]
    public void Should_draw_free_ports_below_the_ephemeral_range_and_never_the_same_twice()
    {
        var low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0],
            System.Globalization.CultureInfo.InvariantCulture);
        var ports = Enumerable.Range(0, 50).Select(_ => Processes.FreeLoopbackPort()).ToList();

        ports.Should().OnlyHaveUniqueItems();
        ports.Should().OnlyContain(p => p >= 10_000 && p < low, "an outgoing connection can take a port of the ephemeral range before the server binds it");
        ports.Should().OnlyContain(p => !Processes.InUse(p));
    }

    [Fact]
    public async Task Should_start_again_on_another_port_when_the_first_was_taken_in_between()
    {
        var tried = new List<int>();
        TcpListener? thief = null;
        try
        {
            var port = await Processes.OnFreePortAsync(p =>
            {
                tried.Add(p);
                if (tried.Count == 1)
                {
                    thief = new TcpListener(IPAddress.Loopback, p);
                    thief.Start();
                    throw new SocketException((int)SocketError.AddressAlreadyInUse);
                }

                return Task.FromResult(p);
            });

            tried.Should().HaveCount(2);
            port.Should().Be(tried[1]).And.NotBe(tried[0]);
        }
        finally
        {
            thief?.Stop();
        }
    }

    [Fact]
    public async Task Should_not_retry_a_start_that_failed_for_another_reason()
    {
        var attempts = 0;
        var start = () => Processes.OnFreePortAsync<int>(_ =>
        {
            attempts++;
            throw new InvalidOperationException("bad configuration");
        });

        await start.Should().ThrowAsync<InvalidOperationException>().WithMessage("bad configuration");
        attempts.Should().Be(1);
    }
}
