using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

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

sealed class SqliteDialect(string connectionString) : SqlDialect
{
    readonly string _connectionString = new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 30 }.ToString();

    public override string Name => "sqlite";
    public override string ConnectionString => _connectionString;
    public override string SkipLocked => string.Empty;
    public override string JsonType => "TEXT";
    public override string IdType => "TEXT";
    public override object Id(Guid id) => id.ToString("D");

    public override DbConnection CreateConnection()
    {
        var builder = new SqliteConnectionStringBuilder(_connectionString);
        if (!string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(builder.DataSource))!);
        return new SqliteConnection(_connectionString);
    }

    protected override async Task OnOpenedAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 30000;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await Task.FromResult(((SqliteConnection)connection).BeginTransaction(deferred: false)).ConfigureAwait(false);
}

sealed class PostgresDialect(string connectionString) : SqlDialect
{
    public override string Name => "postgresql";
    public override string ConnectionString => connectionString;
    public override string SkipLocked => "FOR UPDATE SKIP LOCKED";
    public override string JsonType => "jsonb";
    public override string IdType => "uuid";
    public override object Id(Guid id) => id;
    public override DbConnection CreateConnection() => new NpgsqlConnection(connectionString);

    public override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
}
