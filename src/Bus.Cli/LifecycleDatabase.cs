using System.Data.Common;
using Bus.Contracts;
using Bus.Persistence;
using Bus.Pipeline;
using Microsoft.Data.Sqlite;

namespace Bus.Cli;

/// <summary>
/// The lifecycle saga's table in the pipeline database, read the way the lifecycle host writes it. Reading never
/// creates anything: a SQLite path that does not exist, or a database without the lifecycle table, is an error
/// that names what was looked at.
/// </summary>
sealed class LifecycleDatabase
{
    readonly SagaStore<ModelLifecycleState> _store;

    LifecycleDatabase(string connectionString, string shown)
    {
        Shown = shown;
        _store = new SagaStore<ModelLifecycleState>(new SagaStoreOptions<ModelLifecycleState>(connectionString, ModelLifecycleStateDefinition.TableName,
            [new IndexedColumn<ModelLifecycleState>(ModelLifecycleStateDefinition.ModelNameColumn, s => s.ModelName)])
        {
            State = s => s.CurrentState,
            StateMember = nameof(ModelLifecycleState.CurrentState),
        });
    }

    /// <summary>What the operator is told was read (no password).</summary>
    public string Shown { get; }

    public SqlDialect Dialect => _store.Options.Dialect;

    public static LifecycleDatabase Open(string connectionString)
    {
        DbConnectionStringBuilder builder;
        try
        {
            builder = SqlDialect.For(connectionString).Name == "sqlite"
                ? new SqliteConnectionStringBuilder(connectionString) : new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"the database connection string is not valid: {ex.Message}");
        }

        if (builder is SqliteConnectionStringBuilder sqlite)
        {
            var path = Path.GetFullPath(sqlite.DataSource);
            if (!File.Exists(path))
                throw new CommandException($"no pipeline database at {path}: run this where the lifecycle host keeps its data (Bus:Host:DataDirectory), or " +
                    "pass --db");
            return new LifecycleDatabase(connectionString, path);
        }

        var pg = (Npgsql.NpgsqlConnectionStringBuilder)builder;
        return new LifecycleDatabase(connectionString, $"postgresql://{pg.Host}:{pg.Port}/{pg.Database}");
    }

    public Task<ModelLifecycleState?> FindAsync(string model, string version, CancellationToken cancellationToken) =>
        ReadAsync((c, t) => _store.LoadAsync(c, t, ModelVersionKey.For(model, version), cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<ModelLifecycleState>> VersionsAsync(string model, CancellationToken cancellationToken) =>
        (await ReadAsync(async (c, t) => (await _store.QueryAsync(c, t, s => s.ModelName == model, cancellationToken).ConfigureAwait(false)).ToList(),
            cancellationToken)
            .ConfigureAwait(false))
        .OrderBy(s => s.CreatedAt).ThenBy(s => s.ModelVersion, StringComparer.Ordinal).ToList();

    /// <summary>Every version (of one model when named) that changed at or after <paramref name="since"/>.</summary>
    public async Task<IReadOnlyList<ModelLifecycleState>> AllAsync(string? model, DateTimeOffset? since, CancellationToken cancellationToken) =>
        await ReadAsync(async (c, t) => (model is null
                ? await _store.QueryAsync(c, t, s => since == null || s.UpdatedAt >= since, cancellationToken).ConfigureAwait(false)
                : await _store.QueryAsync(c, t, s => s.ModelName == model && (since == null || s.UpdatedAt >= since), cancellationToken).ConfigureAwait(false))
                    .ToList(),
            cancellationToken).ConfigureAwait(false);

    async Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await Dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return await read(connection, transaction).ConfigureAwait(false);
        }
        catch (DbException ex) when (ex.Message.Contains("no such table", StringComparison.Ordinal) || ex.SqlState == "42P01")
        {
            throw new CommandException($"{Shown} holds no lifecycle state: it is not the database of a host that runs the lifecycle stage");
        }
        catch (DbException ex)
        {
            throw new CommandException($"could not read {Shown}: {ex.Message}");
        }
    }
}
