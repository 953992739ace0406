using System.Data.Common;
using System.Text.Json;
using MassTransit;

namespace Bus.Persistence;

/// <summary>An indexed column kept beside a saga's JSON state, for look-ups without reading every instance.</summary>
public sealed record IndexedColumn<TSaga>(string Name, Func<TSaga, string?> Value);

/// <summary>How one saga type is stored.</summary>
public sealed class SagaStoreOptions<TSaga>(string connectionString, string table, IReadOnlyList<IndexedColumn<TSaga>> columns)
    where TSaga : class, ISagaVersion
{
    public SqlDialect Dialect { get; } = SqlDialect.For(connectionString);
    public string Table { get; } = table;
    public IReadOnlyList<IndexedColumn<TSaga>> Columns { get; } = columns;
    public Func<TSaga, string?> State { get; init; } = _ => null;
}

/// <summary>
/// A saga's state as JSON plus indexed columns (current state and the caller's), with optimistic concurrency on
/// a version column: an update that finds another version throws <see cref="ConcurrencyException"/> and the
/// message is retried. The schema is created and migrated on first use, idempotently, with a schema version.
/// </summary>
public sealed class SagaStore<TSaga>(SagaStoreOptions<TSaga> options)
    where TSaga : class, ISagaVersion
{
    public const int SchemaVersion = 1;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    readonly SemaphoreSlim _migrate = new(1, 1);
    volatile bool _migrated;

    public SagaStoreOptions<TSaga> Options => options;

    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        if (_migrated)
            return;
        await _migrate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_migrated)
                return;
            await using var connection = await options.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await options.Dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
            await Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS bus_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)", cancellationToken).ConfigureAwait(false);
            var component = $"saga:{options.Table}";
            var current = await Scalar(connection, transaction, "SELECT version FROM bus_schema WHERE component = @c", cancellationToken, ("c", component)).ConfigureAwait(false);
            var version = current is null ? 0 : Convert.ToInt32(current, System.Globalization.CultureInfo.InvariantCulture);
            if (version < 1)
            {
                var columns = string.Concat(options.Columns.Select(c => $", {c.Name} TEXT"));
                await Execute(connection, transaction,
                    $"CREATE TABLE IF NOT EXISTS {options.Table} (correlation_id {options.Dialect.IdType} PRIMARY KEY, current_state TEXT, version INTEGER NOT NULL, data {options.Dialect.JsonType} NOT NULL, updated_at TEXT NOT NULL{columns})",
                    cancellationToken).ConfigureAwait(false);
                await Execute(connection, transaction, $"CREATE INDEX IF NOT EXISTS ix_{options.Table}_state ON {options.Table} (current_state)", cancellationToken).ConfigureAwait(false);
                foreach (var column in options.Columns)
                    await Execute(connection, transaction, $"CREATE INDEX IF NOT EXISTS ix_{options.Table}_{column.Name} ON {options.Table} ({column.Name})", cancellationToken).ConfigureAwait(false);
            }

            if (version < SchemaVersion)
            {
                await Execute(connection, transaction, version == 0
                    ? "INSERT INTO bus_schema (component, version) VALUES (@c, @v)"
                    : "UPDATE bus_schema SET version = @v WHERE component = @c", cancellationToken, ("c", component), ("v", SchemaVersion)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _migrated = true;
        }
        finally
        {
            _migrate.Release();
        }
    }

    public async Task<TSaga?> LoadAsync(DbConnection connection, DbTransaction transaction, Guid id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT data, version FROM {options.Table} WHERE correlation_id = @id", ("id", options.Dialect.Id(id)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        var saga = JsonSerializer.Deserialize<TSaga>(reader.GetString(0), Json)!;
        saga.Version = reader.GetInt32(1);
        return saga;
    }

    public async Task<IReadOnlyList<TSaga>> QueryAsync(DbConnection connection, DbTransaction transaction, Func<TSaga, bool> filter, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT data, version FROM {options.Table}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<TSaga>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var saga = JsonSerializer.Deserialize<TSaga>(reader.GetString(0), Json)!;
            saga.Version = reader.GetInt32(1);
            if (filter(saga))
                result.Add(saga);
        }

        return result;
    }

    public async Task InsertAsync(DbConnection connection, DbTransaction transaction, TSaga saga, CancellationToken cancellationToken)
    {
        saga.Version = 1;
        var names = string.Concat(options.Columns.Select(c => $", {c.Name}"));
        var values = string.Concat(options.Columns.Select(c => $", @{c.Name}"));
        await using var command = Command(connection, transaction,
            $"INSERT INTO {options.Table} (correlation_id, current_state, version, data, updated_at{names}) VALUES (@id, @state, @version, {Cast("@data")}, @at{values})",
            Parameters(saga, saga.Version));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex) when (IsDuplicate(ex))
        {
            throw new ConcurrencyException($"{typeof(TSaga).Name} {saga.CorrelationId} was inserted by another consumer", typeof(TSaga), saga.CorrelationId, ex);
        }
    }

    public async Task UpdateAsync(DbConnection connection, DbTransaction transaction, TSaga saga, CancellationToken cancellationToken)
    {
        var expected = saga.Version;
        var sets = string.Concat(options.Columns.Select(c => $", {c.Name} = @{c.Name}"));
        var parameters = Parameters(saga, expected + 1).Append(("expected", (object?)expected)).ToArray();
        await using var command = Command(connection, transaction,
            $"UPDATE {options.Table} SET current_state = @state, version = @version, data = {Cast("@data")}, updated_at = @at{sets} WHERE correlation_id = @id AND version = @expected",
            parameters);
        var rows = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (rows == 0)
            throw new ConcurrencyException($"{typeof(TSaga).Name} {saga.CorrelationId} changed since version {expected} was read", typeof(TSaga), saga.CorrelationId);
        saga.Version = expected + 1;
    }

    public async Task DeleteAsync(DbConnection connection, DbTransaction transaction, TSaga saga, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"DELETE FROM {options.Table} WHERE correlation_id = @id AND version = @expected",
            ("id", options.Dialect.Id(saga.CorrelationId)), ("expected", saga.Version));
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            throw new ConcurrencyException($"{typeof(TSaga).Name} {saga.CorrelationId} changed before it could be deleted", typeof(TSaga), saga.CorrelationId);
    }

    (string, object?)[] Parameters(TSaga saga, int version)
    {
        var list = new List<(string, object?)>
        {
            ("id", options.Dialect.Id(saga.CorrelationId)),
            ("state", options.State(saga)),
            ("version", version),
            ("data", JsonSerializer.Serialize(saga, Json)),
            ("at", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
        };
        list.AddRange(options.Columns.Select(c => (c.Name, (object?)c.Value(saga))));
        return list.ToArray();
    }

    string Cast(string parameter) => options.Dialect.JsonType == "jsonb" ? $"CAST({parameter} AS jsonb)" : parameter;

    static bool IsDuplicate(DbException ex) =>
        ex.SqlState == "23505" || ex.Message.Contains("UNIQUE constraint failed", StringComparison.Ordinal) || ex.Message.Contains("PRIMARY KEY", StringComparison.Ordinal);

    static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
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

    static async Task Execute(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    static async Task<object?> Scalar(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }
}
