using System.Data.Common;

namespace Bus.Persistence;

/// <summary>The two stores behind one design, chosen by the connection string.</summary>
public abstract class SqlDialect
{
    public abstract string Name { get; }
    public abstract string ConnectionString { get; }
    public abstract DbConnection CreateConnection();

    /// <summary>The row-lock clause that lets several hosts claim different rows of one queue-like table (PostgreSQL); empty on SQLite, where one writer at a
    /// time is the rule.</summary>
    public abstract string SkipLocked { get; }
    public abstract string JsonType { get; }
    public abstract string IdType { get; }
    public abstract object Id(Guid id);

    /// <summary>PostgreSQL when the connection string names a Host; SQLite (a file) otherwise.</summary>
    public static SqlDialect For(string connectionString) =>
        connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase) || connectionString.Contains("Server=", StringComparison.OrdinalIgnoreCase)
            ? new PostgresDialect(connectionString)
            : new SqliteDialect(connectionString);

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = CreateConnection();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await OnOpenedAsync(connection, cancellationToken).ConfigureAwait(false);
        return connection;
    }

    protected virtual Task OnOpenedAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Begins a write transaction (SQLite: BEGIN IMMEDIATE, so writers queue instead of failing late).</summary>
    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);
}
