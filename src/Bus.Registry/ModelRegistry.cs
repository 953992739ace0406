using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Bus.Ml;
using Bus.Persistence;
using Microsoft.Data.Sqlite;

namespace Bus.Registry;

/// <summary>
/// The model registry: one "production" alias per model name, with the history of every change; each change gets
/// the next revision, which orders deployment events across the pipeline. On SQLite (a file under the data directory,
/// one machine) promotions are serialised by the database's single writer; on PostgreSQL (the pipeline database,
/// shared by deployment hosts on several machines) by a transaction-scoped advisory lock per model name, so two
/// hosts promoting at once still get consecutive revisions and one alias.
/// </summary>
public sealed class ModelRegistry
{
    const string Component = "registry";
    readonly SqlDialect _dialect;
    readonly SchemaGate _schema = new();

    /// <summary>A registry in a SQLite file (created with its folder when missing).</summary>
    public ModelRegistry(string path)
        : this(SqlDialect.For(new SqliteConnectionStringBuilder { DataSource = path }.ToString()))
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    ModelRegistry(SqlDialect dialect) => _dialect = dialect;

    /// <summary>A registry by connection string: <c>Data Source=...</c> (SQLite) or <c>Host=...</c> (PostgreSQL).</summary>
    public static ModelRegistry Connect(string connectionString) =>
        SqlDialect.For(connectionString).Name == "sqlite"
            ? new ModelRegistry(new SqliteConnectionStringBuilder(connectionString).DataSource)
            : new ModelRegistry(SqlDialect.For(connectionString));

    public string Database => _dialect.Name;

    static readonly IReadOnlyList<SchemaStep> Steps =
    [
        new(1, d =>
        [
            $"CREATE TABLE IF NOT EXISTS aliases (model_name TEXT PRIMARY KEY, model_version_id TEXT NOT NULL, model_version TEXT NOT NULL, revision " +
                $"{Long(d)} NOT NULL, " +
            "artifact_uri TEXT NOT NULL, artifact_format TEXT NOT NULL, artifact_sha256 TEXT NOT NULL, metrics TEXT NOT NULL, updated_at TEXT NOT NULL)",
            $"CREATE TABLE IF NOT EXISTS alias_history (model_name TEXT NOT NULL, revision {Long(d)} NOT NULL, model_version_id TEXT NOT NULL, model_version " +
                "TEXT NOT NULL, " +
            "reason TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (model_name, revision))",
        ]),
        // The request (DeployModel message id) that made each change, so a redelivered command replays its outcome
        // instead of moving the alias again.
        new(2, _ =>
        [
            "ALTER TABLE alias_history ADD COLUMN request_id TEXT",
            "CREATE INDEX IF NOT EXISTS ix_alias_history_request ON alias_history (request_id)",
        ]),
    ];

    static string Long(SqlDialect dialect) => dialect.Name == "sqlite" ? "INTEGER" : "BIGINT";

    Task EnsureSchemaAsync(CancellationToken cancellationToken) =>
        _schema.EnsureAsync(async ct =>
        {
            if (_dialect.Name == "sqlite")
                await AdoptUnversionedSqliteFileAsync(ct).ConfigureAwait(false);
            await SchemaMigrator.MigrateAsync(_dialect, Component, Steps, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Registry files written before the schema was versioned already hold version 2's columns: record that instead of re-adding them.</summary>
    async Task AdoptUnversionedSqliteFileAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var hasRequestId = Convert.ToInt64(await Sql.ScalarAsync(connection, null,
            "SELECT COUNT(*) FROM pragma_table_info('alias_history') WHERE name = 'request_id'", cancellationToken)
            .ConfigureAwait(false), CultureInfo.InvariantCulture) > 0;
        var hasTable = Convert.ToInt64(await Sql.ScalarAsync(connection, null, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'alias_history'",
            cancellationToken)
            .ConfigureAwait(false), CultureInfo.InvariantCulture) > 0;
        if (!hasTable)
            return;
        var version = await SchemaMigrator.VersionAsync(_dialect, Component, cancellationToken).ConfigureAwait(false);
        if (version == 0)
            await SchemaMigrator.MigrateAsync(_dialect, Component, Steps, cancellationToken, upTo: 1).ConfigureAwait(false);
        if (version <= 1 && hasRequestId)
        {
            await Sql.ExecuteAsync(connection, null, "UPDATE bus_schema SET version = 2 WHERE component = @c", cancellationToken, ("c", Component))
                .ConfigureAwait(false);
        }
    }

    public async Task<AliasRecord?> ChampionAsync(string modelName, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, null, modelName, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AliasRecord>> AllAsync(CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var names = new List<string>();
        await using (var command = Sql.Command(connection, null, "SELECT model_name FROM aliases ORDER BY model_name"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                names.Add(reader.GetString(0));
        }

        var result = new List<AliasRecord>();
        foreach (var name in names)
            result.Add((await ReadAsync(connection, null, name, cancellationToken).ConfigureAwait(false))!);
        return result;
    }

    /// <summary>
    /// Points the alias at this version (idempotent: promoting the current champion again changes nothing; the same
    /// request id again replays its original outcome).
    /// </summary>
    public async Task<Promotion> PromoteAsync(string modelName, Guid versionId, string version, ArtifactReference artifact, IReadOnlyDictionary<string,
        double> metrics,
        string reason, Guid? requestId = null, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await _dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        if (_dialect.Name == "postgresql")
            await Sql.ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext(@k))", cancellationToken, ("k", "bus-registry:" + modelName))
                .ConfigureAwait(false);

        if (requestId is not null && await AppliedRevisionAsync(connection, transaction, modelName, requestId.Value, cancellationToken)
            .ConfigureAwait(false) is { } applied)
        {
            var previous = await HistoryAtAsync(connection, transaction, modelName, applied - 1, cancellationToken).ConfigureAwait(false);
            var appliedAt = (await HistoryAtAsync(connection, transaction, modelName, applied, cancellationToken).ConfigureAwait(false)).At;
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new Promotion(new AliasRecord(modelName, versionId, version, applied, artifact, metrics, appliedAt ?? DateTimeOffset.UtcNow), previous.Id,
                previous.Version, AlreadyCurrent: false)
            {
                Replayed = true,
                PreviousSince = previous.At,
            };
        }

        var current = await ReadAsync(connection, transaction, modelName, cancellationToken).ConfigureAwait(false);
        if (current is not null && current.ModelVersionId == versionId)
        {
            var previous = await HistoryAtAsync(connection, transaction, modelName, current.Revision - 1, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new Promotion(current, previous.Id, previous.Version, AlreadyCurrent: true) { PreviousSince = previous.At };
        }

        var revision = (current?.Revision ?? 0) + 1;
        var since = current is null ? null
            : (await HistoryAtAsync(connection, transaction, modelName, current.Revision, cancellationToken).ConfigureAwait(false)).At;
        var now = DateTimeOffset.UtcNow;
        var at = now.ToString("O", CultureInfo.InvariantCulture);
        await Sql.ExecuteAsync(connection, transaction, """
            INSERT INTO aliases (model_name, model_version_id, model_version, revision, artifact_uri, artifact_format, artifact_sha256, metrics, updated_at)
            VALUES (@name, @id, @version, @revision, @uri, @format, @sha, @metrics, @at)
            ON CONFLICT (model_name) DO UPDATE SET model_version_id = excluded.model_version_id, model_version = excluded.model_version,
                revision = excluded.revision,
                artifact_uri = excluded.artifact_uri, artifact_format = excluded.artifact_format, artifact_sha256 = excluded.artifact_sha256,
                metrics = excluded.metrics, updated_at = excluded.updated_at
            """, cancellationToken,
            ("name", modelName), ("id", versionId.ToString()), ("version", version), ("revision", revision), ("uri", artifact.Uri), ("format", artifact.Format),
            ("sha", artifact.Sha256), ("metrics", JsonSerializer.Serialize(metrics)), ("at", at)).ConfigureAwait(false);
        await Sql.ExecuteAsync(connection, transaction,
            "INSERT INTO alias_history (model_name, revision, model_version_id, model_version, reason, at, request_id) VALUES (@name, @revision, @id, " +
                "@version, @reason, @at, @request)",
            cancellationToken, ("name", modelName), ("revision", revision), ("id", versionId.ToString()), ("version", version), ("reason", reason), ("at", at),
            ("request", requestId?.ToString())).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        var promoted = new AliasRecord(modelName, versionId, version, revision, artifact, metrics, DateTimeOffset.Parse(at, CultureInfo.InvariantCulture));
        return new Promotion(promoted, current?.ModelVersionId, current?.ModelVersion, AlreadyCurrent: false)
        {
            PreviousSince = since,
        };
    }

    /// <summary>Every change of a model name's alias, oldest first: (revision, version, reason, when).</summary>
    public async Task<IReadOnlyList<(long Revision, string ModelVersion, string Reason, DateTimeOffset At)>> HistoryAsync(string modelName,
        CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Sql.Command(connection, null,
            "SELECT revision, model_version, reason, at FROM alias_history WHERE model_name = @name ORDER BY revision", ("name", modelName));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<(long, string, string, DateTimeOffset)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture)));
        return rows;
    }

    static async Task<long?> AppliedRevisionAsync(DbConnection connection, DbTransaction transaction, string modelName, Guid requestId,
        CancellationToken cancellationToken) =>
        await Sql.ScalarAsync(connection, transaction, "SELECT revision FROM alias_history WHERE model_name = @name AND request_id = @request",
            cancellationToken,
            ("name", modelName), ("request", requestId.ToString())).ConfigureAwait(false) is { } revision
            ? Convert.ToInt64(revision, CultureInfo.InvariantCulture)
            : null;

    /// <summary>Which version the alias pointed to at a revision, and since when (the revision's time); nulls before the first.</summary>
    static async Task<(Guid? Id, string? Version, DateTimeOffset? At)> HistoryAtAsync(DbConnection connection, DbTransaction transaction, string modelName,
        long revision, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, transaction,
            "SELECT model_version_id, model_version, at FROM alias_history WHERE model_name = @name AND revision = @revision",
            ("name", modelName), ("revision", revision));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (Guid.Parse(reader.GetString(0)), reader.GetString(1), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture))
            : (null, null, null);
    }

    static async Task<AliasRecord?> ReadAsync(DbConnection connection, DbTransaction? transaction, string modelName, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, transaction,
            "SELECT model_version_id, model_version, revision, artifact_uri, artifact_format, artifact_sha256, metrics, updated_at FROM aliases WHERE " +
                "model_name = @name",
            ("name", modelName));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        return new AliasRecord(modelName, Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt64(2),
            new ArtifactReference(reader.GetString(3), reader.GetString(4), reader.GetString(5)),
            JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(6)) ?? [],
            DateTimeOffset.Parse(reader.GetString(7), CultureInfo.InvariantCulture));
    }
}
