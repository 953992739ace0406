using Bus.Ml;
using MassTransit;

namespace Bus.Stages;

static class Transient
{
    /// <summary>Retries a consumer meets for faults that heal by themselves; after the last one the stage reports the failure.</summary>
    public const int Retries = 4;

    public static bool Is(Exception exception) => exception is ArtifactUnavailableException or TimeoutException or HttpRequestException;

    public static void Configure(IRetryConfigurator retry)
    {
        retry.Handle<Exception>(Is);
        retry.Exponential(Retries, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
    }

    public static bool IsLastAttempt(ConsumeContext context) => context.GetRetryAttempt() >= Retries;
}
