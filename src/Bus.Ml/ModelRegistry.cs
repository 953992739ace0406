using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Bus.Ml;

/// <summary>The version a model name's "production" alias points to.</summary>
public sealed record AliasRecord(string ModelName, Guid ModelVersionId, string ModelVersion, long Revision, ArtifactReference Artifact,
    IReadOnlyDictionary<string, double> Metrics, DateTimeOffset UpdatedAt);

public sealed record Promotion(AliasRecord Current, Guid? PreviousId, string? PreviousVersion, bool AlreadyCurrent)
{
    /// <summary>The same request was applied before (a redelivered command): this is its original outcome, and the alias may have moved on since.</summary>
    public bool Replayed { get; init; }
}

/// <summary>
/// The model registry: one "production" alias per model name, durable in SQLite, with the history of every
/// change. Promotions are serialised per database (BEGIN IMMEDIATE), and each change gets the next revision.
/// </summary>
public sealed class ModelRegistry
{
    readonly string _connectionString;

    public ModelRegistry(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Cache = SqliteCacheMode.Shared, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS aliases (
                model_name TEXT PRIMARY KEY, model_version_id TEXT NOT NULL, model_version TEXT NOT NULL, revision INTEGER NOT NULL,
                artifact_uri TEXT NOT NULL, artifact_format TEXT NOT NULL, artifact_sha256 TEXT NOT NULL, metrics TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS alias_history (
                model_name TEXT NOT NULL, revision INTEGER NOT NULL, model_version_id TEXT NOT NULL, model_version TEXT NOT NULL,
                reason TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (model_name, revision));
            """;
        command.ExecuteNonQuery();

        // Added after the first release: the request (DeployModel message id) that made each change, so a
        // redelivered command replays its outcome instead of moving the alias again.
        using var columns = connection.CreateCommand();
        columns.CommandText = "SELECT COUNT(*) FROM pragma_table_info('alias_history') WHERE name = 'request_id'";
        if (Convert.ToInt64(columns.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            using var alter = connection.CreateCommand();
            alter.CommandText = "ALTER TABLE alias_history ADD COLUMN request_id TEXT; CREATE INDEX IF NOT EXISTS ix_alias_history_request ON alias_history (request_id);";
            alter.ExecuteNonQuery();
        }
    }

    SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    public AliasRecord? Champion(string modelName)
    {
        using var connection = Open();
        return Read(connection, null, modelName);
    }

    public IReadOnlyList<AliasRecord> All()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT model_name FROM aliases ORDER BY model_name";
        var names = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                names.Add(reader.GetString(0));
        }

        return names.Select(n => Read(connection, null, n)!).ToList();
    }

    /// <summary>Points the alias at this version (idempotent: promoting the current champion again changes nothing).</summary>
    public Promotion Promote(string modelName, Guid versionId, string version, ArtifactReference artifact, IReadOnlyDictionary<string, double> metrics, string reason,
        Guid? requestId = null)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (requestId is not null && AppliedRevision(connection, transaction, modelName, requestId.Value) is { } applied)
        {
            var (previousId, previousVersion) = HistoryAt(connection, transaction, modelName, applied - 1);
            var now0 = DateTimeOffset.UtcNow;
            transaction.Commit();
            return new Promotion(new AliasRecord(modelName, versionId, version, applied, artifact, metrics, now0), previousId, previousVersion, AlreadyCurrent: false) { Replayed = true };
        }

        var current = Read(connection, transaction, modelName);
        if (current is not null && current.ModelVersionId == versionId)
        {
            var (prevId, prevVersion) = HistoryAt(connection, transaction, modelName, current.Revision - 1);
            transaction.Commit();
            return new Promotion(current, prevId, prevVersion, AlreadyCurrent: true);
        }

        var revision = (current?.Revision ?? 0) + 1;
        var now = DateTimeOffset.UtcNow;
        using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO aliases (model_name, model_version_id, model_version, revision, artifact_uri, artifact_format, artifact_sha256, metrics, updated_at)
                VALUES ($name, $id, $version, $revision, $uri, $format, $sha, $metrics, $at)
                ON CONFLICT (model_name) DO UPDATE SET model_version_id = $id, model_version = $version, revision = $revision,
                    artifact_uri = $uri, artifact_format = $format, artifact_sha256 = $sha, metrics = $metrics, updated_at = $at;
                INSERT INTO alias_history (model_name, revision, model_version_id, model_version, reason, at, request_id) VALUES ($name, $revision, $id, $version, $reason, $at, $request);
                """;
            upsert.Parameters.AddWithValue("$name", modelName);
            upsert.Parameters.AddWithValue("$id", versionId.ToString());
            upsert.Parameters.AddWithValue("$version", version);
            upsert.Parameters.AddWithValue("$revision", revision);
            upsert.Parameters.AddWithValue("$uri", artifact.Uri);
            upsert.Parameters.AddWithValue("$format", artifact.Format);
            upsert.Parameters.AddWithValue("$sha", artifact.Sha256);
            upsert.Parameters.AddWithValue("$metrics", JsonSerializer.Serialize(metrics));
            upsert.Parameters.AddWithValue("$at", now.ToString("O", CultureInfo.InvariantCulture));
            upsert.Parameters.AddWithValue("$reason", reason);
            upsert.Parameters.AddWithValue("$request", (object?)requestId?.ToString() ?? DBNull.Value);
            upsert.ExecuteNonQuery();
        }

        transaction.Commit();
        return new Promotion(new AliasRecord(modelName, versionId, version, revision, artifact, metrics, now), current?.ModelVersionId, current?.ModelVersion, AlreadyCurrent: false);
    }

    static long? AppliedRevision(SqliteConnection connection, SqliteTransaction transaction, string modelName, Guid requestId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT revision FROM alias_history WHERE model_name = $name AND request_id = $request";
        command.Parameters.AddWithValue("$name", modelName);
        command.Parameters.AddWithValue("$request", requestId.ToString());
        return command.ExecuteScalar() is long revision ? revision : null;
    }

    static (Guid?, string?) HistoryAt(SqliteConnection connection, SqliteTransaction transaction, string modelName, long revision)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT model_version_id, model_version FROM alias_history WHERE model_name = $name AND revision = $revision";
        command.Parameters.AddWithValue("$name", modelName);
        command.Parameters.AddWithValue("$revision", revision);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (Guid.Parse(reader.GetString(0)), reader.GetString(1)) : (null, null);
    }

    static AliasRecord? Read(SqliteConnection connection, SqliteTransaction? transaction, string modelName)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT model_version_id, model_version, revision, artifact_uri, artifact_format, artifact_sha256, metrics, updated_at FROM aliases WHERE model_name = $name";
        command.Parameters.AddWithValue("$name", modelName);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            return null;
        return new AliasRecord(modelName, Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt64(2),
            new ArtifactReference(reader.GetString(3), reader.GetString(4), reader.GetString(5)),
            JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(6)) ?? [],
            DateTimeOffset.Parse(reader.GetString(7), CultureInfo.InvariantCulture));
    }
}
