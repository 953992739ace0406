using System.Data.Common;

namespace Bus.Persistence;

/// <summary>
/// One step of a component's schema: the statements that take it from <c>Version - 1</c> to <c>Version</c>, then
/// <see cref="Code"/> when the step rewrites data that SQL cannot (JSON documents), in the same transaction.
/// </summary>
public sealed record SchemaStep(int Version, Func<SqlDialect, IEnumerable<string>> Statements)
{
    public Func<DbConnection, DbTransaction, CancellationToken, Task>? Code { get; init; }
}
