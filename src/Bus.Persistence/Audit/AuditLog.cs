using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Bus.Persistence.Audit;

/// <summary>
/// The pipeline's audit log: the table <c>bus_audit</c> in the pipeline database, one row per transition and per
/// refused request, appended in the writer's own transaction (so there is no transition without its record and no
/// record without its transition), never trimmed, never updated. Rows form one hash chain per database
/// (<see cref="AuditChain"/>): appends are serialised (PostgreSQL: an advisory lock held to commit; SQLite: one
/// writer), each row stamped with the database's clock. Triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL);
/// the grants in docs/governance.md keep the hosts' role from dropping them. <see cref="VerifyAsync"/> checks it all.
/// </summary>
public sealed class AuditLog(SqlDialect dialect)
{
    public const string Table = "bus_audit";
    const string Component = "audit";
    const long AppendLock = 7302;

    static readonly string Columns = $"sequence, recorded_at, {AuditFields.Columns}, previous_hash, hash, form";
    static readonly string Insert = $"INSERT INTO {Table} ({Columns}) VALUES (@sequence, @recorded_at, " +
        string.Join(", ", AuditFields.All.Select(f => "@" + f.Column)) + ", @previous_hash, @hash, @form)";

    readonly SchemaGate _schema = new();

    public AuditLog(string connectionString)
        : this(SqlDialect.For(connectionString))
    {
    }

    public SqlDialect Dialect => dialect;

    static IReadOnlyList<SchemaStep> Steps =>
    [
        new(1, d =>
        [
            $"CREATE TABLE IF NOT EXISTS {Table} (sequence BIGINT PRIMARY KEY, recorded_at BIGINT NOT NULL, model_name TEXT NOT NULL, model_version TEXT " +
                "NOT NULL, model_version_id TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, event TEXT NOT NULL, actor_kind TEXT NOT NULL, " +
                "actor_name TEXT, channel TEXT, host TEXT, artifact_uri TEXT, artifact_sha256 TEXT, metrics TEXT, decision TEXT, reasons TEXT, detail TEXT, " +
                "alias_revision BIGINT, served_from BIGINT, served_until BIGINT, message_id TEXT, trace_id TEXT, previous_hash TEXT NOT NULL, hash TEXT " +
                "NOT NULL UNIQUE, form INTEGER NOT NULL)",
            $"CREATE INDEX IF NOT EXISTS ix_{Table}_model ON {Table} (model_name, model_version)",
            .. d.Name == "postgresql"
                ? new[]
                {
                    $"CREATE OR REPLACE FUNCTION {Table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{Table} is " +
                        "append-only: % refused', TG_OP; END $$",
                    $"CREATE TRIGGER {Table}_no_change BEFORE UPDATE OR DELETE ON {Table} FOR EACH ROW EXECUTE FUNCTION {Table}_append_only()",
                    $"CREATE TRIGGER {Table}_no_truncate BEFORE TRUNCATE ON {Table} FOR EACH STATEMENT EXECUTE FUNCTION {Table}_append_only()",
                }
                : new[]
                {
                    $"CREATE TRIGGER IF NOT EXISTS {Table}_no_update BEFORE UPDATE ON {Table} BEGIN SELECT RAISE(ABORT, '{Table} is append-only: " +
                        "UPDATE refused'); END",
                    $"CREATE TRIGGER IF NOT EXISTS {Table}_no_delete BEFORE DELETE ON {Table} BEGIN SELECT RAISE(ABORT, '{Table} is append-only: " +
                        "DELETE refused'); END",
                },
        ]),
    ];

    /// <summary>Creates the table and its triggers once per process; call it before the transaction that appends.</summary>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) =>
        _schema.EnsureAsync(ct => SchemaMigrator.MigrateAsync(dialect, Component, Steps, ct), cancellationToken);

    /// <summary>Appends <paramref name="entries"/> at the head of the chain inside the caller's write transaction.</summary>
    public async Task AppendAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<AuditEntry> entries,
        CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
            return;
        if (dialect.Name == "postgresql")
            await Sql.ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({AppendLock})", cancellationToken).ConfigureAwait(false);
        var (sequence, previous) = await HeadAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        var now = Convert.ToInt64(await Sql.ScalarAsync(connection, transaction, dialect.Name == "postgresql"
            ? "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
            : "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        foreach (var entry in entries)
        {
            sequence++;
            var hash = AuditChain.Hash(previous, now, entry);
            await Sql.ExecuteAsync(connection, transaction, Insert, cancellationToken,
            [
                ("sequence", sequence), ("recorded_at", now),
                .. AuditFields.All.Select(f => (f.Column, f.Stored(entry))),
                ("previous_hash", previous), ("hash", hash), ("form", AuditChain.CurrentForm),
            ]).ConfigureAwait(false);
            previous = hash;
        }
    }

    /// <summary>Appends in a transaction of its own (for writers that change nothing else, such as a refused request with no saga).</summary>
    public async Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        await AppendAsync(connection, transaction, entries, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    static async Task<(long Sequence, string Hash)> HeadAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, transaction, $"SELECT sequence, hash FROM {Table} ORDER BY sequence DESC LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetString(1)) : (0, AuditChain.Genesis);
    }

    /// <summary>The head of the chain now (what <c>bus audit anchor</c> writes); null while the log is empty.</summary>
    public async Task<AuditAnchor?> AnchorAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var (sequence, hash) = await HeadAsync(connection, null, cancellationToken).ConfigureAwait(false);
        return sequence == 0 ? null : new AuditAnchor(sequence, hash, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// Rows in chain order, optionally of one model, or of a time window; streamed, so a large log is not held in memory.
    /// Reading creates nothing: a database without the log is a <see cref="DbException"/> (hosts create it when they start).
    /// </summary>
    public async IAsyncEnumerable<AuditRow> ReadAsync(string? model = null, DateTimeOffset? since = null, DateTimeOffset? until = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var where = new List<string>();
        var parameters = new List<(string, object?)>();
        if (model is not null)
        {
            where.Add("model_name = @model");
            parameters.Add(("model", model));
        }

        if (since is { } from)
        {
            where.Add("recorded_at >= @since");
            parameters.Add(("since", from.ToUnixTimeMilliseconds()));
        }

        if (until is { } to)
        {
            where.Add("recorded_at < @until");
            parameters.Add(("until", to.ToUnixTimeMilliseconds()));
        }

        await using var command = Sql.Command(connection, null,
            $"SELECT {Columns} FROM {Table}{(where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")} ORDER BY sequence", [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return Row(reader);
    }

    /// <summary>
    /// Checks the whole chain, in order: sequences without a gap from 1, each row following the one before (its
    /// previous hash is that row's hash), each row's content matching its own hash; with <paramref name="anchor"/>, also
    /// that the anchored row is still there with the anchored hash (a cut tail, or a chain rewritten from there back).
    /// Names the first broken row and what is wrong with it.
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(AuditAnchor? anchor = null, CancellationToken cancellationToken = default)
    {
        long rows = 0, expected = 1, last = 0;
        var previous = AuditChain.Genesis;
        string? anchoredHash = null;
        await foreach (var row in ReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows++;
            if (row.Sequence != expected)
                return Broken(expected, row.Sequence > expected
                    ? $"row {expected} is missing (deleted): {(expected == 1 ? "the log starts" : $"row {expected - 1} is followed by")} row {row.Sequence}"
                    : $"row {row.Sequence} appears out of order after row {last}");
            if (row.PreviousHash != previous)
                return Broken(row.Sequence, $"row {row.Sequence} does not follow row {last}: its previous hash is not that row's hash (a row was inserted, " +
                    "deleted or moved here)");
            if (!AuditChain.Knows(row.Form))
                return Broken(row.Sequence, $"row {row.Sequence} is hashed with canonical form {row.Form}, which this build does not know (a newer " +
                    "build wrote it, or the column was edited)");
            if (AuditChain.Hash(row.Form, row.PreviousHash, row.RecordedAt.ToUnixTimeMilliseconds(), row.Entry) != row.Hash)
                return Broken(row.Sequence, $"row {row.Sequence} does not match its hash: its content was edited");
            if (anchor is not null && row.Sequence == anchor.Sequence)
                anchoredHash = row.Hash;
            previous = row.Hash;
            last = row.Sequence;
            expected++;
        }

        if (anchor is not null)
        {
            if (last < anchor.Sequence)
                return Broken(last + 1, $"rows {last + 1} to {anchor.Sequence} are missing: the log ends at row {last} but was anchored at row " +
                    $"{anchor.Sequence} on {anchor.At:u} (its tail was cut)");
            if (anchoredHash != anchor.Hash)
                return Broken(anchor.Sequence, $"row {anchor.Sequence} is not the row anchored on {anchor.At:u}: the chain was rewritten up to it");
        }

        return new AuditVerification(rows, last, previous, null, null);

        AuditVerification Broken(long at, string problem) => new(rows, last, previous, at, problem);
    }

    static AuditRow Row(DbDataReader r) =>
        new(r.GetInt64(r.GetOrdinal("sequence")), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(r.GetOrdinal("recorded_at"))), AuditFields.Read(r),
            r.GetString(r.GetOrdinal("previous_hash")), r.GetString(r.GetOrdinal("hash")))
        {
            Form = r.GetInt32(r.GetOrdinal("form")),
        };
}
