using System.Data.Common;
using Bus.Persistence.Audit;
using Bus.Pipeline;
using Bus.Testing;
using Npgsql;

namespace Bus.Persistence.Tests;

[Collection(PostgresCollection.Name)]
public class When_the_audit_log_is_written_and_verified(PostgresFixture postgres)
{
    static AuditEntry Entry(int i, string model = "digits") => new()
    {
        ModelName = model,
        ModelVersion = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ModelVersionId = Guid.NewGuid(),
        FromState = i == 0 ? null : "Evaluating",
        ToState = i % 2 == 0 ? "Approved" : "Rejected",
        Event = "ModelEvaluated",
        ActorKind = "message",
        ActorName = "evaluator@test",
        Channel = "topic=model-evaluated",
        Host = "test:1",
        ArtifactUri = $"s3://models/digits/{i}/model.json",
        ArtifactSha256 = new string('a', 64),
        Metrics = AuditChain.CanonicalMetrics(new Dictionary<string, double> { ["accuracy"] = 0.9 + i / 1000.0, ["log_loss"] = 0.3 }),
        Decision = i % 2 == 0 ? "promote" : "reject",
        Reasons = i % 2 == 0 ? "passed policy 'default'" : "accuracy 0.9 < 0.95",
        MessageId = Guid.NewGuid(),
        TraceId = "0af7651916cd43dd8448eb211c80319c",
    };

    async Task<AuditLog> Filled(string kind, int rows)
    {
        var log = new AuditLog(await Stores.Fresh(kind, postgres));
        await log.EnsureSchemaAsync();
        await log.AppendAsync(Enumerable.Range(0, rows).Select(i => Entry(i)).ToList());
        return log;
    }

    /// <summary>What someone with the database owner's rights does first: the append-only triggers go.</summary>
    static async Task Tamper(AuditLog log, params string[] statements)
    {
        await using var connection = await log.Dialect.OpenAsync(default);
        string[] drop = log.Dialect.Name == "postgresql"
            ? ["ALTER TABLE bus_audit DISABLE TRIGGER USER"]
            : ["DROP TRIGGER bus_audit_no_update", "DROP TRIGGER bus_audit_no_delete"];
        foreach (var statement in drop.Concat(statements))
            await Sql.ExecuteAsync(connection, null, statement, default);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_chain_every_row_and_read_them_back_as_written(string kind)
    {
        var log = await Filled(kind, 5);

        var rows = await log.ReadAsync().ToListAsync();
        var verification = await log.VerifyAsync();

        rows.Select(r => r.Sequence).Should().Equal(1, 2, 3, 4, 5);
        rows[0].PreviousHash.Should().Be(AuditChain.Genesis);
        rows.Skip(1).Zip(rows).Should().OnlyContain(p => p.First.PreviousHash == p.Second.Hash, "each row names the one before it");
        rows[2].Entry.Should().BeEquivalentTo(rows[2].Entry with { }, "read back field by field");
        rows[2].Entry.Metrics.Should().Be("{\"accuracy\":0.902,\"log_loss\":0.3}");
        rows.Select(r => r.RecordedAt).Should().BeInAscendingOrder().And.OnlyContain(t => Math.Abs((t - DateTimeOffset.UtcNow).TotalMinutes) < 5,
            "stamped with the database's clock");
        verification.Should().BeEquivalentTo(new { Valid = true, Rows = 5L, HeadSequence = 5L, HeadHash = rows[^1].Hash, BrokenAt = (long?)null });
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_refuse_an_update_or_a_delete(string kind)
    {
        var log = await Filled(kind, 3);
        await using var connection = await log.Dialect.OpenAsync(default);

        var update = () => Sql.ExecuteAsync(connection, null, "UPDATE bus_audit SET metrics = '{\"accuracy\":1}' WHERE sequence = 2", default);
        var delete = () => Sql.ExecuteAsync(connection, null, "DELETE FROM bus_audit WHERE sequence = 3", default);

        (await update.Should().ThrowAsync<DbException>()).WithMessage("*append-only*");
        (await delete.Should().ThrowAsync<DbException>()).WithMessage("*append-only*");
        if (kind == "postgresql")
            (await FluentActions.Awaiting(() => Sql.ExecuteAsync(connection, null, "TRUNCATE bus_audit", default)).Should().ThrowAsync<DbException>())
                .WithMessage("*append-only*");
        (await log.VerifyAsync()).Valid.Should().BeTrue();
        (await log.ReadAsync().CountAsync()).Should().Be(3);
    }

    const string EditMetric = "UPDATE bus_audit SET metrics = '{\"accuracy\":0.999,\"log_loss\":0.3}' WHERE sequence = 4";

    /// <summary>Row 3 inserted between 2 and 3: the later rows renumbered, the new one a copy of row 2 that claims to follow it.</summary>
    static readonly string[] InsertRow =
    [
        "UPDATE bus_audit SET sequence = sequence + 100 WHERE sequence >= 3",
        "UPDATE bus_audit SET sequence = sequence - 99 WHERE sequence > 100",
        "INSERT INTO bus_audit SELECT 3, recorded_at, model_name, '99', model_version_id, from_state, 'Deployed', event, actor_kind, actor_name, " +
            "channel, host, artifact_uri, artifact_sha256, metrics, decision, reasons, detail, alias_revision, served_from, served_until, message_id, " +
            "trace_id, hash, 'forged' || hash, form FROM bus_audit WHERE sequence = 2",
    ];

    public static TheoryData<string, string, string[], long, string> Tampering() => new()
    {
        { "sqlite", "edit a metric", [EditMetric], 4, "*row 4 does not match its hash*edited*" },
        { "postgresql", "edit a metric", [EditMetric], 4, "*row 4 does not match its hash*" },
        { "sqlite", "delete a row", ["DELETE FROM bus_audit WHERE sequence = 3"], 3, "*row 3 is missing (deleted)*row 2 is followed by row 4*" },
        { "postgresql", "delete the first row", ["DELETE FROM bus_audit WHERE sequence = 1"], 1, "*row 1 is missing*the log starts*row 2*" },
        {
            "sqlite", "delete a row and renumber",
            ["DELETE FROM bus_audit WHERE sequence = 3", "UPDATE bus_audit SET sequence = sequence - 1 WHERE sequence > 3"], 3, "*row 3 does not follow row 2*"
        },
        {
            "postgresql", "swap two rows",
            ["UPDATE bus_audit SET sequence = -1 WHERE sequence = 2", "UPDATE bus_audit SET sequence = 2 WHERE sequence = 3",
                "UPDATE bus_audit SET sequence = 3 WHERE sequence = -1"],
            2, "*row 2 does not follow row 1*"
        },
        { "sqlite", "insert a row", InsertRow, 3, "*row 3 does not match its hash*" },
        { "sqlite", "claim another canonical form", ["UPDATE bus_audit SET form = 2 WHERE sequence = 5"], 5, "*row 5 is hashed with canonical form 2*" },
        { "postgresql", "insert a row", InsertRow, 3, "*row 3 does not match its hash*" },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Should_name_the_first_row_that_was_tampered_with(string kind, string how, string[] statements, long row, string problem)
    {
        var log = await Filled(kind, 6);
        (await log.VerifyAsync()).Valid.Should().BeTrue();

        await Tamper(log, statements);
        var verification = await log.VerifyAsync();

        verification.Valid.Should().BeFalse(how);
        verification.BrokenAt.Should().Be(row, how);
        verification.Problem.Should().Match(problem, how);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_notice_a_cut_tail_only_against_an_anchor(string kind)
    {
        var log = await Filled(kind, 6);
        var anchor = (await log.AnchorAsync())!;
        anchor.Sequence.Should().Be(6);

        await Tamper(log, "DELETE FROM bus_audit WHERE sequence >= 5");

        (await log.VerifyAsync()).Valid.Should().BeTrue("a cut tail leaves a valid chain: only the anchor knows it was longer");
        var verification = await log.VerifyAsync(anchor);
        verification.BrokenAt.Should().Be(5);
        verification.Problem.Should().Match("*rows 5 to 6 are missing*tail was cut*");

        await log.AppendAsync([Entry(7), Entry(8)]);
        (await log.VerifyAsync(anchor)).Problem.Should().Match("*row 6 is not the row anchored*rewritten*", "rows appended after the cut do not hide it");
    }

    [Fact]
    public async Task Should_give_one_chain_when_two_hosts_append_at_once_on_PostgreSQL()
    {
        var connectionString = await Stores.Fresh("postgresql", postgres);
        var hosts = new[] { new AuditLog(connectionString), new AuditLog(connectionString) };
        await hosts[0].EnsureSchemaAsync();

        await Task.WhenAll(hosts.Select((log, h) => Task.Run(async () =>
        {
            for (var i = 0; i < 60; i++)
                await log.AppendAsync([Entry(i, $"host{h}"), Entry(i, $"host{h}")]);
        })));

        var verification = await hosts[1].VerifyAsync();
        verification.Should().BeEquivalentTo(new { Valid = true, Rows = 240L, HeadSequence = 240L });
        (await hosts[1].ReadAsync("host0").CountAsync()).Should().Be(120);
    }

    [Fact]
    public async Task Should_let_the_hosts_role_insert_but_never_update_or_delete_on_PostgreSQL()
    {
        var owner = await Stores.Fresh("postgresql", postgres);
        var log = new AuditLog(owner);
        await log.EnsureSchemaAsync();
        await log.AppendAsync([Entry(1)]);
        var role = "bus_host_" + Guid.NewGuid().ToString("N")[..8];
        await using (var connection = await log.Dialect.OpenAsync(default))
        {
            // docs/governance.md: the grants of the hosts' role on the audit table.
            foreach (var grant in AuditGrants.HostRole(role, "host-secret"))
                await Sql.ExecuteAsync(connection, null, grant, default);
            await Sql.ExecuteAsync(connection, null, "ALTER TABLE bus_audit DISABLE TRIGGER USER", default);
        }

        var asHost = new NpgsqlConnectionStringBuilder(owner) { Username = role, Password = "host-secret" }.ConnectionString;
        var hostLog = new AuditLog(asHost);
        await hostLog.AppendAsync([Entry(2)]);
        await using var host = await hostLog.Dialect.OpenAsync(default);

        var update = () => Sql.ExecuteAsync(host, null, "UPDATE bus_audit SET decision = 'promote' WHERE sequence = 1", default);
        var delete = () => Sql.ExecuteAsync(host, null, "DELETE FROM bus_audit", default);
        var drop = () => Sql.ExecuteAsync(host, null, "DROP TRIGGER bus_audit_no_change ON bus_audit", default);

        (await update.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be("42501", "permission denied, even with the triggers off");
        (await delete.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be("42501");
        (await drop.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be("42501", "only the owner may drop the triggers");
        (await hostLog.VerifyAsync()).Should().BeEquivalentTo(new { Valid = true, Rows = 2L });
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Should_write_a_sagas_records_in_its_transaction_and_none_when_it_rolls_back(string kind)
    {
        var connectionString = await Stores.Fresh(kind, postgres);
        var pending = new List<AuditEntry>();
        var store = new SagaStore<ModelLifecycleState>(new SagaStoreOptions<ModelLifecycleState>(connectionString, "model_lifecycle", [])
        {
            State = s => s.CurrentState,
            TakeAudit = _ =>
            {
                var taken = pending.ToArray();
                pending.Clear();
                return taken;
            },
        });
        await store.EnsureSchemaAsync();
        var saga = new ModelLifecycleState { CorrelationId = Guid.NewGuid(), CurrentState = "Evaluating", ModelName = "digits", ModelVersion = "1" };

        await using (var c = await store.Options.Dialect.OpenAsync(default))
        await using (var t = await store.Options.Dialect.BeginWriteAsync(c, default))
        {
            pending.Add(Entry(1));
            await store.InsertAsync(c, t, saga, default);
            await t.CommitAsync();
        }

        await using (var c = await store.Options.Dialect.OpenAsync(default))
        await using (var t = await store.Options.Dialect.BeginWriteAsync(c, default))
        {
            pending.Add(Entry(2));
            var loaded = (await store.LoadAsync(c, t, saga.CorrelationId, default))!;
            await store.UpdateAsync(c, t, loaded, default);
            await t.RollbackAsync();
        }

        (await store.Audit!.ReadAsync().Select(r => r.Entry.ModelVersion).ToListAsync()).Should().Equal(["1"],
            "the rolled-back transition left no record");
        (await store.Audit.VerifyAsync()).Valid.Should().BeTrue();
    }
}
