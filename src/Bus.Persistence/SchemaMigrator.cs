using System.Data.Common;
using System.Globalization;

namespace Bus.Persistence;

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
        // Already migrated: nothing to write, so a role without DDL rights (a host's, see AuditGrants) starts too.
        if (await CurrentAsync(dialect, component, cancellationToken).ConfigureAwait(false) is { } known && known >= target
            && known <= steps.Max(s => s.Version))
            return known;
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

    /// <summary>The component's version without creating anything; null when the schema table is not there (or not readable).</summary>
    static async Task<int?> CurrentAsync(SqlDialect dialect, string component, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            var value = await Sql.ScalarAsync(connection, null, "SELECT version FROM bus_schema WHERE component = @c", cancellationToken, ("c", component))
                .ConfigureAwait(false);
            return value is null ? null : Convert.ToInt32(value, CultureInfo.InvariantCulture);
        }
        catch (DbException)
        {
            return null;
        }
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
