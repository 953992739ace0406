using System.Linq.Expressions;

namespace Bus.Persistence;

/// <summary>An indexed column kept beside a saga's JSON state, for look-ups without reading every instance.</summary>
public sealed class IndexedColumn<TSaga>
{
    public IndexedColumn(string name, Expression<Func<TSaga, string?>> value)
    {
        Name = name;
        Member = (value.Body as MemberExpression)?.Member.Name;
        Value = value.Compile();
    }

    public string Name { get; }

    /// <summary>The saga property the column mirrors: saga queries comparing it with a value become SQL.</summary>
    public string? Member { get; }

    public Func<TSaga, string?> Value { get; }
}
