using System.Data.Common;
using Npgsql;

namespace Bus.Persistence;

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
