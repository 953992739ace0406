using System.Data.Common;
using System.Linq.Expressions;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bus.Persistence.Audit;
using MassTransit;

namespace Bus.Persistence;

/// <summary>
/// A saga's state as JSON plus indexed columns (current state and the caller's), with optimistic concurrency on
/// a version column: an update that finds another version throws <see cref="ConcurrencyException"/> and the
/// message is retried. The schema is created and migrated on first use, idempotently, with a schema version.
/// </summary>
public sealed class SagaStore<TSaga>(SagaStoreOptions<TSaga> options)
    where TSaga : class, ISagaVersion
{
    /// <summary>2: a created_at column (backfilled from updated_at) for "newest versions first" look-ups.</summary>
    public const int SchemaVersion = 2;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    readonly SchemaGate _schema = new();
    readonly AuditLog? _audit = options.TakeAudit is null ? null : new AuditLog(options.Dialect);

    public SagaStoreOptions<TSaga> Options => options;

    /// <summary>The audit log the instances' records go to; null when the saga is not audited.</summary>
    public AuditLog? Audit => _audit;

    string Component => $"saga:{options.Table}";

    IReadOnlyList<SchemaStep> Steps =>
    [
        new(1, d =>
        [
            $"CREATE TABLE IF NOT EXISTS {options.Table} (correlation_id {d.IdType} PRIMARY KEY, current_state TEXT, version INTEGER NOT NULL, data " +
                $"{d.JsonType} NOT NULL, updated_at TEXT NOT NULL{string.Concat(options.Columns.Select(c => $", {c.Name} TEXT"))})",
            $"CREATE INDEX IF NOT EXISTS ix_{options.Table}_state ON {options.Table} (current_state)",
            .. options.Columns.Select(c => $"CREATE INDEX IF NOT EXISTS ix_{options.Table}_{c.Name} ON {options.Table} ({c.Name})"),
        ]),
        new(2, _ =>
        [
            $"ALTER TABLE {options.Table} ADD COLUMN created_at TEXT",
            $"UPDATE {options.Table} SET created_at = updated_at WHERE created_at IS NULL",
        ]),
    ];

    /// <summary>The schema component of <see cref="SagaStoreOptions{TSaga}.DataMigrations"/>: saga-data:table.</summary>
    public string DataComponent => $"saga-data:{options.Table}";

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) =>
        _schema.EnsureAsync(async ct =>
        {
            await SchemaMigrator.MigrateAsync(options.Dialect, Component, Steps, ct).ConfigureAwait(false);
            if (_audit is not null)
                await _audit.EnsureSchemaAsync(ct).ConfigureAwait(false);
            if (options.DataMigrations.Count > 0)
                await SchemaMigrator.MigrateAsync(options.Dialect, DataComponent, DataSteps, ct).ConfigureAwait(false);
        }, cancellationToken);

    IReadOnlyList<SchemaStep> DataSteps => options.DataMigrations.Select(m => new SchemaStep(m.Version, _ => [])
    {
        Code = (connection, transaction, ct) => RewriteAsync(connection, transaction, m.Upgrade, ct),
    }).ToList();

    /// <summary>Every row's JSON through <paramref name="upgrade"/>; the rows it changed are written back (their version kept).</summary>
    async Task RewriteAsync(DbConnection connection, DbTransaction transaction, Func<JsonObject, bool> upgrade, CancellationToken cancellationToken)
    {
        var rows = new List<(object Id, string Data)>();
        await using (var read = Command(connection, transaction, $"SELECT correlation_id, data FROM {options.Table}"))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                rows.Add((reader.GetValue(0), reader.GetString(1)));
        }

        foreach (var (id, data) in rows)
        {
            if (JsonNode.Parse(data) is not JsonObject document || !upgrade(document))
                continue;
            await using var write = Command(connection, transaction, $"UPDATE {options.Table} SET data = {Cast("@data")} WHERE correlation_id = @id",
                ("data", document.ToJsonString(Json)), ("id", id));
            await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Migrates only up to <paramref name="version"/>: what an older build would have left behind (tests and staged upgrades).</summary>
    public Task<int> MigrateToAsync(int version, CancellationToken cancellationToken = default) =>
        SchemaMigrator.MigrateAsync(options.Dialect, Component, Steps, cancellationToken, version);

    public Task<int> SchemaVersionAsync(CancellationToken cancellationToken = default) => SchemaMigrator.VersionAsync(options.Dialect, Component,
        cancellationToken);

    /// <summary>Raised after this process wrote an instance (its transaction may still be committing).</summary>
    public event Action? Changed;

    /// <summary>The most recently changed instances, newest first, and a token that changes whenever any instance does.</summary>
    public async Task<(IReadOnlyList<TSaga> Instances, string Token)> RecentAsync(int limit, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await options.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var count = Command(connection, null, $"SELECT COUNT(*), MAX(updated_at), SUM(version) FROM {options.Table}");
        await using var tokenReader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var token = await tokenReader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? $"{tokenReader.GetValue(0)}/{tokenReader.GetValue(1)}/{tokenReader.GetValue(2)}"
            : "";
        await tokenReader.DisposeAsync().ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"SELECT data, version FROM {options.Table} ORDER BY updated_at DESC LIMIT {Math.Clamp(limit, 1, 10_000)}");
        return (await ReadAll(command, _ => true, cancellationToken).ConfigureAwait(false), token);
    }

    /// <summary>How many instances are in each state, grouped by an indexed column too (model_name, say) when one is given.</summary>
    public async Task<IReadOnlyList<(string? Group, string? State, long Count)>> CountByStateAsync(string? column = null,
        CancellationToken cancellationToken = default)
    {
        if (column is not null && options.Columns.All(c => c.Name != column))
            throw new ArgumentException($"{column} is not an indexed column of {options.Table}", nameof(column));
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var group = column ?? "NULL";
        await using var connection = await options.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"SELECT {group}, current_state, COUNT(*) FROM {options.Table} GROUP BY {group}, current_state");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var counts = new List<(string?, string?, long)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            counts.Add((reader.IsDBNull(0) ? null : reader.GetValue(0).ToString(), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2)));
        return counts;
    }

    /// <summary>Instances whose indexed column (or current_state) equals a value, newest first, read with SQL rather than a scan.</summary>
    public async Task<IReadOnlyList<TSaga>> FindAsync(DbConnection connection, DbTransaction? transaction, string column, string value,
        CancellationToken cancellationToken)
    {
        if (column != "current_state" && options.Columns.All(c => c.Name != column))
            throw new ArgumentException($"{column} is not an indexed column of {options.Table}", nameof(column));
        await using var command = Command(connection, transaction,
            $"SELECT data, version FROM {options.Table} WHERE {column} = @value ORDER BY created_at DESC", ("value", value));
        return await ReadAll(command, _ => true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether an instance with <paramref name="id"/> is stored (read in a transaction of its own).</summary>
    public async Task<bool> ExistsAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await options.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT 1 FROM {options.Table} WHERE correlation_id = @id", ("id", options.Dialect.Id(id)));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>The instance with <paramref name="id"/>, read in a transaction of its own; null when there is none.</summary>
    public async Task<TSaga?> LoadAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await options.Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        return await LoadAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false);
    }

    public async Task<TSaga?> LoadAsync(DbConnection connection, DbTransaction transaction, Guid id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT data, version FROM {options.Table} WHERE correlation_id = @id", ("id",
            options.Dialect.Id(id)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        var saga = JsonSerializer.Deserialize<TSaga>(reader.GetString(0), Json)!;
        saga.Version = reader.GetInt32(1);
        return saga;
    }

    /// <summary>
    /// Instances matching a saga query. Comparisons of indexed properties with values (<c>s.ModelName == name &amp;&amp;
    /// s.CurrentState == "Deployed"</c>) become a SQL WHERE on the indexed columns; the whole predicate is then
    /// applied to what was read, so any expression works and simple ones do not scan the table.
    /// </summary>
    public async Task<IReadOnlyList<TSaga>> QueryAsync(DbConnection connection, DbTransaction transaction, Expression<Func<TSaga, bool>> filter,
        CancellationToken cancellationToken)
    {
        var (where, parameters) = SagaQueryTranslator.Translate(filter, Columns());
        await using var command = Command(connection, transaction, $"SELECT data, version FROM {options.Table}{(where.Length > 0 ? " WHERE " + where : "")}",
            parameters);
        return await ReadAll(command, filter.Compile(), cancellationToken).ConfigureAwait(false);
    }

    IReadOnlyDictionary<string, string> Columns()
    {
        var map = options.Columns.Where(c => c.Member is not null).ToDictionary(c => c.Member!, c => c.Name);
        if (options.StateMember is not null)
            map[options.StateMember] = "current_state";
        return map;
    }

    static async Task<IReadOnlyList<TSaga>> ReadAll(DbCommand command, Func<TSaga, bool> filter, CancellationToken cancellationToken)
    {
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
            $"INSERT INTO {options.Table} (correlation_id, current_state, version, data, updated_at, created_at{names}) VALUES (@id, @state, @version, " +
                $"{Cast("@data")}, @at, @at{values})",
            Parameters(saga, saga.Version));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex) when (Sql.IsDuplicateKey(ex))
        {
            throw new ConcurrencyException($"{typeof(TSaga).Name} {saga.CorrelationId} was inserted by another consumer", typeof(TSaga), saga.CorrelationId,
                ex);
        }

        await AuditAsync(connection, transaction, saga, cancellationToken).ConfigureAwait(false);
        // In-process watchers (the dashboard) look again; the write commits with its transaction, so they may see it a moment later.
        Changed?.Invoke();
    }

    /// <summary>The instance's new audit records, in the transaction that writes it: both commit or neither does.</summary>
    Task AuditAsync(DbConnection connection, DbTransaction transaction, TSaga saga, CancellationToken cancellationToken) =>
        _audit is null ? Task.CompletedTask : _audit.AppendAsync(connection, transaction, options.TakeAudit!(saga), cancellationToken);

    public async Task UpdateAsync(DbConnection connection, DbTransaction transaction, TSaga saga, CancellationToken cancellationToken)
    {
        var expected = saga.Version;
        var sets = string.Concat(options.Columns.Select(c => $", {c.Name} = @{c.Name}"));
        var parameters = Parameters(saga, expected + 1).Append(("expected", (object?)expected)).ToArray();
        await using var command = Command(connection, transaction,
            $"UPDATE {options.Table} SET current_state = @state, version = @version, data = {Cast("@data")}, updated_at = @at{sets} WHERE correlation_id = " +
                "@id AND version = @expected",
            parameters);
        var rows = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (rows == 0)
            throw new ConcurrencyException($"{typeof(TSaga).Name} {saga.CorrelationId} changed since version {expected} was read", typeof(TSaga),
                saga.CorrelationId);
        saga.Version = expected + 1;
        await AuditAsync(connection, transaction, saga, cancellationToken).ConfigureAwait(false);
        // In-process watchers (the dashboard) look again; the write commits with its transaction, so they may see it a moment later.
        Changed?.Invoke();
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

    static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters) =>
        Sql.Command(connection, transaction, sql, parameters);
}
