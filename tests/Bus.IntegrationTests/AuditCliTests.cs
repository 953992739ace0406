using Amazon.S3.Model;
using Bus.Persistence;
using Bus.Persistence.Audit;
using Bus.Testing;
using Bus.Tooling;

namespace Bus.IntegrationTests;

/// <summary>`bus audit verify` and `bus audit anchor` as an operator runs them, on a SQLite pipeline database.</summary>
public class When_an_operator_verifies_the_audit_log
{
    /// <summary>A SQLite pipeline database in a new folder with <paramref name="rows"/> audit rows.</summary>
    internal static async Task<(string Data, string Db, AuditLog Log)> Filled(int rows)
    {
        var data = Directory.CreateTempSubdirectory("bus-audit-cli-").FullName;
        var db = Path.Combine(data, "bus.db");
        var log = new AuditLog($"Data Source={db}");
        await log.EnsureSchemaAsync();
        await log.AppendAsync(Enumerable.Range(1, rows).Select(i => new AuditEntry
        {
            ModelName = "digits",
            ModelVersion = $"{i}",
            ModelVersionId = Guid.NewGuid(),
            ToState = "Evaluating",
            Event = "TrainingCompleted",
            ActorKind = "message",
            ActorName = "trainer@test",
        }).ToList());
        return (data, db, log);
    }

    [Fact]
    public async Task Should_name_the_broken_row_and_notice_a_cut_tail_against_an_anchor()
    {
        var (data, db, log) = await Filled(8);
        var anchor = Path.Combine(data, "head.json");

        var anchored = await HostedPipeline.Cli("audit", "anchor", "--out", anchor, "--db", db);
        anchored.ExitCode.Should().Be(0, anchored.Error);
        anchored.Output.Should().Contain("anchored row 8");
        (await HostedPipeline.Cli("audit", "anchor", "--out", anchor, "--db", db)).Error.Should().Contain("an anchor is never overwritten");
        var valid = await HostedPipeline.Cli("audit", "verify", "--anchor", anchor, "--db", db);
        valid.ExitCode.Should().Be(0, valid.Output + valid.Error);
        valid.Output.Should().Contain("audit log valid: 8 row(s)").And.Contain("reaches the anchor");

        await using (var connection = await log.Dialect.OpenAsync(default))
        {
            foreach (var statement in new[] { "DROP TRIGGER bus_audit_no_delete", "DELETE FROM bus_audit WHERE sequence > 6" })
                await Sql.ExecuteAsync(connection, null, statement, default);
        }

        (await HostedPipeline.Cli("audit", "verify", "--db", db)).ExitCode.Should().Be(0, "without the anchor a cut tail is a valid, shorter chain");
        var cut = await HostedPipeline.Cli("audit", "verify", "--anchor", anchor, "--db", db);
        cut.ExitCode.Should().Be(1);
        cut.Output.Should().Contain("audit log BROKEN at row 7: rows 7 to 8 are missing");

        await using (var connection = await log.Dialect.OpenAsync(default))
        {
            foreach (var statement in new[] { "DROP TRIGGER bus_audit_no_update", "UPDATE bus_audit SET actor_name = 'someone-else' WHERE sequence = 2" })
                await Sql.ExecuteAsync(connection, null, statement, default);
        }

        var edited = await HostedPipeline.Cli("audit", "verify", "--json", "--db", db);
        edited.ExitCode.Should().Be(1);
        var outcome = System.Text.Json.Nodes.JsonNode.Parse(edited.Output)!;
        outcome["valid"]!.GetValue<bool>().Should().BeFalse();
        outcome["brokenAt"]!.GetValue<long>().Should().Be(2);
        outcome["problem"]!.ToString().Should().Contain("edited");
        Directory.Delete(data, recursive: true);
    }
}

/// <summary>Anchors kept on S3 (the emulator's), as an operator keeps them away from the database.</summary>
[Collection(EmulatorCollection.Name)]
public class When_an_operator_anchors_the_audit_log_on_S3(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_write_the_head_once_and_catch_a_cut_tail_against_it()
    {
        var (data, db, log) = await When_an_operator_verifies_the_audit_log.Filled(5);
        var bucket = "anchors-" + Guid.NewGuid().ToString("N")[..8];
        using (var s3 = Ml.S3ArtifactStore.CreateClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl))
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        var anchor = $"s3://{bucket}/audit/head-1.json";
        string[] aws = ["--service-url", emulator.ServiceUrl.ToString(), "--db", db];

        var written = await HostedPipeline.Cli(["audit", "anchor", "--out", anchor, .. aws]);
        written.ExitCode.Should().Be(0, written.Error);
        written.Output.Should().Contain("anchored row 5").And.Contain("S3 without Object Lock", "the emulator's bucket has none, and the operator is told");
        var again = await HostedPipeline.Cli(["audit", "anchor", "--out", anchor, .. aws]);
        again.ExitCode.Should().Be(1);
        again.Error.Should().Contain("an anchor is never overwritten");
        (await HostedPipeline.Cli(["audit", "verify", "--anchor", anchor, .. aws])).ExitCode.Should().Be(0);

        await using (var connection = await log.Dialect.OpenAsync(default))
        {
            foreach (var statement in new[] { "DROP TRIGGER bus_audit_no_delete", "DELETE FROM bus_audit WHERE sequence = 5" })
                await Sql.ExecuteAsync(connection, null, statement, default);
        }

        var cut = await HostedPipeline.Cli(["audit", "verify", "--anchor", anchor, .. aws]);
        cut.ExitCode.Should().Be(1);
        cut.Output.Should().Contain("BROKEN at row 5: rows 5 to 5 are missing");
        var missing = await HostedPipeline.Cli(["audit", "verify", "--anchor", $"s3://{bucket}/audit/none.json", .. aws]);
        missing.ExitCode.Should().Be(1);
        missing.Error.Should().Contain("could not read the anchor");
        Directory.Delete(data, recursive: true);
    }
}
