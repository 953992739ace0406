namespace Bus.Testing;

/// <summary>
/// Waits for something to be observed. MassTransit's <c>Consumed.Any</c>/<c>Published.Any</c> give up for good once
/// the harness has been idle for its inactivity window at any earlier point of the test, which a loaded CI machine
/// reaches mid-test; polling the recorded messages (<c>Select</c>) has no such memory.
/// </summary>
public static class Poll
{
    public static async Task<bool> Until(Func<bool> condition, TimeSpan? within = null)
    {
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow >= until)
                return false;
            await Task.Delay(50).ConfigureAwait(false);
        }

        return true;
    }
}
