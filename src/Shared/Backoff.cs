namespace Bus.Shared;

/// <summary>
/// The one exponential backoff of Bus: the n-th retry waits <c>first × 2^(n-1)</c>, never more than <c>max</c>; jitter
/// spreads it over half to one and a half times that, so hosts that failed together do not retry together. Compiled
/// into the transport and persistence (which share no project: each depends on MassTransit and its drivers only).
/// </summary>
static class Backoff
{
    /// <summary>The wait before retry <paramref name="retry"/> (1 for the first).</summary>
    public static TimeSpan Exponential(int retry, TimeSpan first, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        var milliseconds = first.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(milliseconds, max.TotalMilliseconds));
    }

    /// <summary><see cref="Exponential"/>, spread over [½, 1½) of it at random.</summary>
    public static TimeSpan Jittered(int retry, TimeSpan first, TimeSpan max) =>
        Exponential(retry, first, max) * (0.5 + Random.Shared.NextDouble());
}
