using System.Linq.Expressions;

namespace Bus.Persistence;

/// <summary>
/// Turns the indexed-equality part of a saga query into SQL: every <c>saga.Property == value</c> (joined by
/// <c>&amp;&amp;</c>) whose property has an indexed column becomes <c>column = @qN</c>. Anything else (or, not, other
/// operators, unindexed properties) is left to the in-memory filter that always follows.
/// </summary>
public static class SagaQueryTranslator
{
    public static (string Where, (string Name, object? Value)[] Parameters) Translate<TSaga>(Expression<Func<TSaga, bool>> filter, IReadOnlyDictionary<string,
        string> columns)
    {
        var terms = new List<(string Column, object? Value)>();
        Collect(filter.Body, filter.Parameters[0], columns, terms);
        var parameters = terms.Select((t, i) => ($"q{i}", t.Value)).ToArray();
        return (string.Join(" AND ", terms.Select((t, i) => t.Value is null ? $"{t.Column} IS NULL" : $"{t.Column} = @q{i}")), parameters.Where(p =>
            p.Item2 is not null).ToArray());
    }

    static void Collect(Expression expression, ParameterExpression saga, IReadOnlyDictionary<string, string> columns, List<(string, object?)> terms)
    {
        switch (expression)
        {
            case BinaryExpression { NodeType: ExpressionType.AndAlso } and:
                Collect(and.Left, saga, columns, terms);
                Collect(and.Right, saga, columns, terms);
                break;
            case BinaryExpression { NodeType: ExpressionType.Equal } equal:
                if (Term(equal.Left, equal.Right, saga, columns) is { } left)
                    terms.Add(left);
                else if (Term(equal.Right, equal.Left, saga, columns) is { } right)
                    terms.Add(right);
                break;
        }
    }

    static (string, object?)? Term(Expression member, Expression value, ParameterExpression saga, IReadOnlyDictionary<string, string> columns)
    {
        if (member is not MemberExpression { Expression: ParameterExpression p } m || p != saga || !columns.TryGetValue(m.Member.Name, out var column))
            return null;
        if (m.Type != typeof(string) || References(value, saga))
            return null;
        return (column, Expression.Lambda<Func<object?>>(Expression.Convert(value, typeof(object))).Compile()());
    }

    static bool References(Expression expression, ParameterExpression saga)
    {
        var finder = new Finder(saga);
        finder.Visit(expression);
        return finder.Found;
    }

    sealed class Finder(ParameterExpression saga) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Found |= node == saga;
            return node;
        }
    }
}
