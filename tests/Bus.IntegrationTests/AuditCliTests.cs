using Bus.Persistence;
using Bus.Persistence.Audit;

namespace Bus.IntegrationTests;

/// <summary>`bus audit verify` and `bus audit anchor` as an operator runs them, on a SQLite pipeline database.</summary>
public class When_an_operator_verifies_the_audit_log
{
    [Fact]
    public async Task Should_name_the_broken_row_and_notice_a_cut_tail_against_an_anchor()
    {
        var data = Directory.CreateTempSubdirectory("bus-audit-cli-").FullName;
        var db = Path.Combine(data, "bus.db");
        var log = new AuditLog($"Data Source={db}");
        await log.EnsureSchemaAsync();
        await log.AppendAsync(Enumerable.Range(1, 8).Select(i => new AuditEntry
        {
            ModelName = "digits",
            ModelVersion = $"{i}",
            ModelVersionId = Guid.NewGuid(),
            ToState = "Evaluating",
            Event = "TrainingCompleted",
            ActorKind = "message",
            ActorName = "trainer@test",
        }).ToList());
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
