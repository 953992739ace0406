using System.Data.Common;
using System.Globalization;

namespace Bus.Persistence;

/// <summary>
/// One step of a component's schema: the statements that take it from <c>Version - 1</c> to <c>Version</c>, then
/// <see cref="Code"/> when the step rewrites data that SQL cannot (JSON documents), in the same transaction.
/// </summary>
public sealed record SchemaStep(int Version, Func<SqlDialect, IEnumerable<string>> Statements)
{
    public Func<DbConnection, DbTransaction, CancellationToken, Task>? Code { get; init; }
}

/// <summary>
/// Creates and migrates a component's tables on start, idempotently: the <c>bus_schema</c> table records each
/// component's version, and the steps above it run in one write transaction (PostgreSQL also takes an advisory
/// lock, so hosts starting together migrate once). A database newer than this build is refused rather than used.
/// </summary>
public static class SchemaMigrator
{
    public static async Task<int> MigrateAsync(SqlDialect dialect, string component, IReadOnlyList<SchemaStep> steps, CancellationToken cancellationToken,
        int? upTo = null)
    {
        var target = upTo ?? steps.Max(s => s.Version);
        await using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        if (dialect.Name == "postgresql")
            await Sql.ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(7301)", cancellationToken).ConfigureAwait(false);
        await Sql.ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS bus_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
            cancellationToken).ConfigureAwait(false);
        var current = await Sql.ScalarAsync(connection, transaction, "SELECT version FROM bus_schema WHERE component = @c", cancellationToken, ("c", component))
            .ConfigureAwait(false);
        var version = current is null ? 0 : Convert.ToInt32(current, CultureInfo.InvariantCulture);
        if (version > steps.Max(s => s.Version))
            throw new InvalidOperationException(
                $"The database's {component} schema is at version {version}, newer than this build knows ({steps.Max(s => s.Version)}). Run a newer Bus " +
                    "build or restore a matching database.");

        foreach (var step in steps.Where(s => s.Version > version && s.Version <= target).OrderBy(s => s.Version))
        {
            foreach (var statement in step.Statements(dialect))
                await Sql.ExecuteAsync(connection, transaction, statement, cancellationToken).ConfigureAwait(false);
            if (step.Code is { } code)
                await code(connection, transaction, cancellationToken).ConfigureAwait(false);
        }

        if (target > version)
        {
            await Sql.ExecuteAsync(connection, transaction, version == 0
                ? "INSERT INTO bus_schema (component, version) VALUES (@c, @v)"
                : "UPDATE bus_schema SET version = @v WHERE component = @c", cancellationToken, ("c", component), ("v", target)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return Math.Max(version, target);
    }

    public static async Task<int> VersionAsync(SqlDialect dialect, string component, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var value = await Sql.ScalarAsync(connection, transaction, "SELECT version FROM bus_schema WHERE component = @c", cancellationToken, ("c",
                component)).ConfigureAwait(false);
            return value is null ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture);
        }
        catch (DbException)
        {
            return 0;
        }
    }
}

/// <summary>Runs a component's migration once per process: the first caller migrates, the others wait for it.</summary>
public sealed class SchemaGate
{
    readonly SemaphoreSlim _gate = new(1, 1);
    volatile bool _done;

    public async Task EnsureAsync(Func<CancellationToken, Task> migrate, CancellationToken cancellationToken)
    {
        if (_done)
            return;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_done)
                return;
            await migrate(cancellationToken).ConfigureAwait(false);
            _done = true;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>Small ADO.NET helpers shared by the stores: named parameters, no string-built values.</summary>
public static class Sql
{
    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@" + name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }

        return command;
    }

    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken,
        params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken,
        params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    public static bool IsDuplicateKey(DbException ex) =>
        ex.SqlState == "23505" || ex.Message.Contains("UNIQUE constraint failed", StringComparison.Ordinal) || ex.Message.Contains("PRIMARY KEY",
            StringComparison.Ordinal);

    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
