using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Bus.Persistence;

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
