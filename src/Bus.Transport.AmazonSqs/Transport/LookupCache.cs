using System.Collections.Concurrent;

namespace Bus.Transport.AmazonSqs.Transport;

/// <summary>
/// Look-ups made once per key per process, however many callers ask at once. A failed look-up is not kept:
/// the next caller tries again (the endpoint may be back). Thread-safe.
/// </summary>
sealed class LookupCache<T>
{
    readonly ConcurrentDictionary<string, Lazy<Task<T>>> _entries = new(StringComparer.Ordinal);

    public async Task<T> GetAsync(string key, Func<Task<T>> load)
    {
        var lazy = _entries.GetOrAdd(key, _ => new Lazy<Task<T>>(load, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            _entries.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(key, lazy));
            throw;
        }
    }

    /// <summary>Drops <paramref name="key"/>, so that the next caller looks it up again (the entity was deleted).</summary>
    public void Forget(string key) => _entries.TryRemove(key, out _);
}
