using System.Collections.Concurrent;

namespace Bus.Transport.AmazonSqs.Configuration;

/// <summary>Message attributes added per message type for SNS filter policies.</summary>
sealed class MessageAttributeConventions
{
    public const int MaxCustomAttributes = 6;
    readonly ConcurrentDictionary<Type, List<(string Name, Func<object, string?> Value)>> _byType = new();

    public void Add<T>(string name, Func<T, string?> value)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var list = _byType.GetOrAdd(typeof(T), _ => []);
        lock (list)
        {
            if (list.Count >= MaxCustomAttributes)
                throw new InvalidOperationException($"At most {MaxCustomAttributes} filter attributes per message type (content type, message type, " +
                    "traceparent and tracestate take four of the ten): SNS drops raw-delivered messages with more than 10 attributes.");
            list.Add((name, m => value((T)m)));
        }
    }

    /// <summary>The names of the filter attributes declared for <paramref name="type"/>.</summary>
    public IReadOnlyList<string> NamesFor(Type type)
    {
        if (!_byType.TryGetValue(type, out var list))
            return [];
        lock (list)
            return list.Select(a => a.Name).ToList();
    }

    public IEnumerable<(string Name, string Value)> For(object message)
    {
        if (!_byType.TryGetValue(message.GetType(), out var list))
            yield break;
        (string, Func<object, string?>)[] copy;
        lock (list)
            copy = list.ToArray();
        foreach (var (name, value) in copy)
        {
            if (value(message) is { Length: > 0 } v)
                yield return (name, v);
        }
    }
}
