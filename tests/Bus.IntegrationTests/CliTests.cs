using System.Text.Json.Nodes;
using Bus.Contracts;
using Bus.Persistence;
using Bus.Pipeline;
using Bus.Testing;
using Bus.Tooling;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// The operator's commands against a running pipeline (one Bus.Host on its default SQLite database, the emulator,
/// real TF.js artifacts): `bus status`, `bus timeline`, `bus rollback` through the bus outbox,
/// `bus audit`, `bus topology`, `bus errors` and `bus publish`.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_an_operator_uses_the_cli(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_show_the_versions_refuse_a_wrong_rollback_and_roll_the_champion_back()
    {
        using var pipeline = new HostedPipeline(emulator, "cli", output);
        var db = $"Data Source={Path.Combine(pipeline.Data, "bus.db")}";
        var trained = await pipeline.TrainAsync("trained");
        var host = await HostProcess.StartAsync("cli-host", ["lifecycle", "evaluation", "deployment"], pipeline.Settings(pipeline.Data), default);
        try
        {
            var badSha = await Bus(["publish", "training-complete", "--model", "digits", "--version", "2", "--artifact", trained["artifactUri"]!.ToString(),
                "--sha256", "abc", "--service-url", emulator.ServiceUrl.ToString(), "--scope", pipeline.Scope]);
            badSha.ExitCode.Should().Be(2);
            badSha.Error.Should().Contain("64 hex digits");
            var publishedTrace = "";
            foreach (var version in new[] { "1", "2" })
            {
                if (version == "1")
                {
                    await pipeline.AnnounceAsync("digits", version, trained);
                }
                else
                {
                    // The second version is announced by the CLI, as a job that cannot call SNS itself would.
                    var published = await Bus(["publish", "training-complete", "--model", "digits", "--version", version, "--artifact",
                        trained["artifactUri"]!.ToString(),
                        "--sha256", trained["artifactSha256"]!.ToString(), "--validation", trained["validationSetUri"]!.ToString(), "--producer", "ci@test",
                        "--service-url", emulator.ServiceUrl.ToString(), "--scope", pipeline.Scope]);
                    published.ExitCode.Should().Be(0, published.Error);
                    published.Output.Should().Contain($"announced digits 2 on {pipeline.Scope}-training-complete");
                    publishedTrace = System.Text.RegularExpressions.Regex.Match(published.Output, "trace ([0-9a-f]{32})").Groups[1].Value;
                    publishedTrace.Should().NotBeEmpty("bus publish starts the version's trace: " + published.Output);
                }

                await pipeline.WaitFor(async () => (await State(db, version)) == "Deployed", $"digits {version} deployed", TimeSpan.FromMinutes(3), () =>
                    host.Log);
            }

            await pipeline.WaitFor(async () => (await State(db, "1")) == "Superseded", "digits 1 superseded", TimeSpan.FromMinutes(3), () => host.Log);
            using (var http = new HttpClient { BaseAddress = host.Url })
            {
                http.DefaultRequestHeaders.Add("X-Api-Key", HostedPipeline.OperatorApiKey);
                var ready = JsonNode.Parse(await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative)))!;
                ready["checks"]!["pipeline-database"]!["status"]!.ToString().Should().Be("Healthy");
                ready["checks"]!["pipeline-database"]!["data"]!["database"]!.ToString().Should().Be("sqlite");
            }


            // The saga recorded the trace the CLI started; `bus trace` names it, with the link to the tracing UI.
            var trace = await Bus(["trace", "digits", "2", "--db", db, "--trace-url", "http://jaeger.test/trace/{traceId}"]);
            trace.ExitCode.Should().Be(0, trace.Error);
            trace.Output.Should().StartWith(publishedTrace).And.Contain($"http://jaeger.test/trace/{publishedTrace}").And.Contain("TrainingCompleted");
            (await Bus(["trace", "digits", "2", "--db", db, "--trace-url", "http://jaeger.test/"])).ExitCode.Should().Be(2, "a template without {traceId}");

            var status = await Bus(["status", "digits", "--db", db]);
            status.ExitCode.Should().Be(0, status.Error);
            status.Output.Should().Contain("digits: champion 2");
            Row(status.Output, "1").Should().Contain("Superseded");
            Row(status.Output, "2").Should().StartWith("*").And.Contain("Deployed");

            var wrong = await Bus(["rollback", "digits", "1", "--reason", "bad latency", "--by", "oncall@test", "--db", db]);
            wrong.ExitCode.Should().Be(1);
            wrong.Error.Should().Contain("only the deployed champion can be rolled back; digits 1 is Superseded");
            var unaudited = await Bus(["rollback", "digits", "2", "--reason", "bad latency", "--db", db]);
            unaudited.ExitCode.Should().Be(2);
            unaudited.Error.Should().Contain("--by is required");

            var rollback = await Bus(["rollback", "digits", "2", "--reason", "latency regression", "--by", "oncall@test", "--db", db,
                "--service-url", emulator.ServiceUrl.ToString(), "--scope", pipeline.Scope, "--wait", "120"]);
            output.WriteLine(rollback.Output + rollback.Error);
            rollback.ExitCode.Should().Be(0, $"{rollback.Output}\n{rollback.Error}\n{host.Log}");
            rollback.Output.Should().Contain("stored in the outbox").And.Contain("digits 2 rolled back: 1 serves again");
            (await State(db, "2")).Should().Be("RolledBack");
            (await State(db, "1")).Should().Be("Deployed", "the previous champion serves again");

            var timeline = await Bus(["timeline", "digits", "2", "--db", db]);
            timeline.ExitCode.Should().Be(0, timeline.Error);
            timeline.Output.Should().Contain("rollback requested: latency regression").And.Contain("oncall@test").And.Contain("RolledBack");
            var json = await Bus(["status", "digits", "2", "--db", db, "--json"]);
            var saga = JsonNode.Parse(json.Output)!;
            saga["currentState"]!.ToString().Should().Be("RolledBack");
            saga["rollbackRequestedBy"]!.ToString().Should().Be("oncall@test");
            saga["producer"]!.ToString().Should().Be("ci@test", "announced with bus publish");
            saga["evaluationSetUri"]!.ToString().Should().Be(pipeline.EvaluationSetUri,
                "graded on the governed set, not the --validation the producer announced");
            saga["producerSuppliedData"]!.GetValue<bool>().Should().BeFalse();
            saga["history"]!.AsArray().Select(h => h!["state"]!.ToString()).Should().EndWith(["Deployed", "RollingBack", "RolledBack"]);

            // The audit export: every transition of both versions, oldest first, in JSON Lines and in CSV.
            var history1 = JsonNode.Parse((await Bus(["status", "digits", "1", "--db", db, "--json"])).Output)!["history"]!.AsArray();
            var history2 = saga["history"]!.AsArray();
            var audit = await Bus(["audit", "--db", db]);
            audit.ExitCode.Should().Be(0, audit.Error);
            var records = audit.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
            records.Should().HaveCount(history1.Count + history2.Count, "one record per recorded transition");
            records.Select(r => r["at"]!.GetValue<DateTimeOffset>()).Should().BeInAscendingOrder();
            records.Where(r => r["version"]!.ToString() == "2").Select(r => r["state"]!.ToString())
                .Should().Equal(history2.Select(h => h!["state"]!.ToString()), "the version's transitions in order");
            var rolledBack = records.Single(r => r["state"]!.ToString() == "RollingBack");
            rolledBack["actor"]!.ToString().Should().Be("oncall@test");
            rolledBack["artifactUri"]!.ToString().Should().StartWith("s3://");
            rolledBack["artifactSha256"]!.ToString().Should().Be(trained["artifactSha256"]!.ToString());
            rolledBack["actorKind"]!.ToString().Should().Be("cli", "bus rollback says which door the command came through");
            rolledBack["from"]!.ToString().Should().Be("Deployed");
            var announced = records.First(r => r["event"]!.ToString() == "TrainingCompleted");
            announced["actorKind"]!.ToString().Should().Be("message");
            announced["channel"]!.ToString().Should().Contain("topic=").And.Contain("training-complete", "the channel the announcement came by, from SNS");
            records.Select(r => r["sequence"]!.GetValue<long>()).Should().BeInAscendingOrder();
            records.Skip(1).Zip(records).Should().OnlyContain(p => p.First["previousHash"]!.ToString() == p.Second["hash"]!.ToString(),
                "the export carries the chain");
            audit.Error.Should().Contain($"{records.Count} record(s) of 2 version(s)");
            var verify = await Bus(["audit", "verify", "--db", db]);
            verify.ExitCode.Should().Be(0, verify.Output + verify.Error);
            verify.Output.Should().Contain($"audit log valid: {records.Count} row(s)");

            var since = records.Single(r => r["state"]!.ToString() == "RollingBack")["at"]!.GetValue<DateTimeOffset>();
            var csv = await Bus(["audit", "--db", db, "--model", "digits", "--since", since.ToString("O"), "--format", "csv"]);
            csv.ExitCode.Should().Be(0, csv.Error);
            var lines = csv.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
            lines[0].Should().Be("sequence,at,model,version,versionId,from,state,event,actorKind,actor,channel,host,artifactUri,artifactSha256,metrics," +
                "decision,reasons,detail,aliasRevision,servedFrom,servedUntil,messageId,traceId,previousHash,hash");
            lines.Skip(1).Should().HaveCount(records.Count(r => r["at"]!.GetValue<DateTimeOffset>() >= since), "--since keeps what happened from then on");
            lines[1].Should().Contain(",digits,2,").And.Contain(",RollingBack,").And.Contain(",oncall@test,");
            (await Bus(["audit", "--db", db, "--model", "other"])).Output.Should().BeEmpty();
            var badTime = await Bus(["audit", "--db", db, "--since", "yesterday"]);
            badTime.ExitCode.Should().Be(2);
            badTime.Error.Should().Contain("ISO 8601");

            // The topology: each stage topic and the queues it fans out to, with their depths; a malformed
            // announcement lands in the saga's error queue, and topology points at it.
            await pipeline.PublishRawAsync("{ this is not json");
            string[] aws = ["--service-url", emulator.ServiceUrl.ToString(), "--scope", pipeline.Scope];
            JsonNode? topology = null;
            await pipeline.WaitFor(async () =>
            {
                var result = await Bus(["topology", "--json", .. aws]);
                result.ExitCode.Should().Be(0, result.Error);
                topology = JsonNode.Parse(result.Output)!;
                return topology["otherQueues"]!.AsArray().Any(q => q!["name"]!.ToString() == $"{pipeline.Scope}-model-lifecycle_error"
                    && q["visible"]!.GetValue<long>() == 1);
            }, "the malformed announcement in model-lifecycle_error", TimeSpan.FromMinutes(1), () => host.Log);
            var topics = topology!["topics"]!.AsArray();
            var training = topics.Single(t => t!["stage"]!.ToString() == "training-complete")!;
            training["name"]!.ToString().Should().Be($"{pipeline.Scope}-training-complete");
            training["subscriptions"]!.AsArray().Select(x => x!["queue"]?["name"]?.ToString()).Should().Contain($"{pipeline.Scope}-model-lifecycle");
            topics.Single(t => t!["stage"]!.ToString() == "model-deployed")!["subscriptions"]!.AsArray()
                .Select(x => x!["queue"]?["name"]?.ToString()).Should().Contain($"{pipeline.Scope}-serve-models-cli-host",
                    "the host's own serving queue hears every deployment");
            topics.Single(t => t!["stage"]!.ToString() == "evaluate-model")!["subscriptions"]!.AsArray()
                .Select(x => x!["queue"]?["name"]?.ToString()).Should().Equal([$"{pipeline.Scope}-evaluate-model"],
                    "the evaluation host's queue takes evaluate-model");
            topology["otherQueues"]!.AsArray().Select(q => q!["name"]!.ToString()).Should().Contain($"{pipeline.Scope}-model-lifecycle_dlq",
                "redrive queues have no topic");
            var text = await Bus(["topology", .. aws]);
            output.WriteLine(text.Output);
            text.ExitCode.Should().Be(0, text.Error);
            text.Output.Should().Contain($"scope {pipeline.Scope}").And.Contain("training-complete").And.Contain("model-lifecycle")
                .And.Contain("attention: 1 message(s) in model-lifecycle_error");

            // The failure queue, read with the reason: the message stays there until it is redriven.
            var errors = await Bus(["errors", "model-lifecycle", "--json", .. aws]);
            errors.ExitCode.Should().Be(0, errors.Error);
            var failure = JsonNode.Parse(errors.Output)!.AsArray().Should().ContainSingle().Subject!;
            failure["body"]!.ToString().Should().Be("{ this is not json");
            failure["exceptionType"]!.ToString().Should().NotBeNullOrEmpty();
            failure["exceptionMessage"]!.ToString().Should().NotBeNullOrEmpty();
            var shown = await Bus(["errors", "model-lifecycle", .. aws]);
            output.WriteLine(shown.Output);
            shown.Output.Should().Contain($"{pipeline.Scope}-model-lifecycle_error: 1 message(s)").And.Contain("exception").And.Contain("{ this is not json")
                .And.Contain("bus errors model-lifecycle --redrive");
            var redrive = await Bus(["errors", "model-lifecycle", "--redrive", .. aws]);
            redrive.ExitCode.Should().Be(0, redrive.Error);
            redrive.Output.Should().Contain("moved 1 message(s)");
            // Still malformed, so the lifecycle endpoint fails it again: it comes back, as a new failure.
            await pipeline.WaitFor(async () => JsonNode.Parse((await Bus(["errors", "model-lifecycle", "--json", .. aws])).Output)!.AsArray()
                .SingleOrDefault()?["sqsMessageId"]?.ToString() is { } again && again != failure["sqsMessageId"]!.ToString(),
                    "the redriven message failed again", TimeSpan.FromMinutes(1));
            (await Bus(["errors", "model-lifecycle", "--kind", "nonsense", .. aws])).ExitCode.Should().Be(2);

            var missing = await Bus(["status", "digits", "9", "--db", db]);
            missing.ExitCode.Should().Be(1);
            missing.Error.Should().Contain("digits 9 is not known");
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_not_create_a_database_where_there_is_none()
    {
        var path = Path.Combine(Path.GetTempPath(), "bus-cli-" + Guid.NewGuid().ToString("N"), "bus.db");

        var result = await Bus(["status", "digits", "--db", $"Data Source={path}"]);

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain($"no pipeline database at {path}");
        File.Exists(path).Should().BeFalse();
        Directory.Exists(Path.GetDirectoryName(path)).Should().BeFalse();
    }

    [Fact]
    public async Task Should_name_the_newest_alias_revision_the_champion_while_a_superseded_notice_is_on_its_way()
    {
        // What a host killed between moving the alias and publishing the deployment leaves for a minute or two: the
        // replaced champion still marked Deployed until the redelivered command tells it.
        var path = Path.Combine(Directory.CreateTempSubdirectory("bus-cli-").FullName, "bus.db");
        var db = $"Data Source={path}";
        var store = Lifecycle(db);
        await store.EnsureSchemaAsync();
        await using (var connection = await store.Options.Dialect.OpenAsync(default))
        {
            await using var transaction = await connection.BeginTransactionAsync();
            foreach (var (version, revision) in new[] { ("3", 33L), ("27", 34L) })
            {
                await store.InsertAsync(connection, transaction, new ModelLifecycleState
                {
                    CorrelationId = ModelVersionKey.For("digits", version),
                    ModelName = "digits",
                    ModelVersion = version,
                    CurrentState = "Deployed",
                    AliasRevision = revision,
                    CreatedAt = DateTimeOffset.UtcNow,
                    UpdatedAt = DateTimeOffset.UtcNow,
                }, default);
            }

            await transaction.CommitAsync();
        }

        var status = await Bus(["status", "digits", "--db", db]);
        status.ExitCode.Should().Be(0, status.Error);
        status.Output.Should().Contain("digits: champion 27 (alias revision 34)").And.Contain("note: 3 is still marked Deployed at alias revision 33");
        Row(status.Output, "27").Should().StartWith("*");
        Row(status.Output, "3").Should().NotStartWith("*");
        var json = JsonNode.Parse((await Bus(["status", "digits", "--db", db, "--json"])).Output)!.AsArray();
        json.Single(v => v!["champion"]!.GetValue<bool>())!["modelVersion"]!.ToString().Should().Be("27");
    }

    static string Row(string table, string version) =>
        table.Split('\n').Select(l => l.TrimEnd()).FirstOrDefault(l => l.TrimStart('*', ' ').StartsWith(version + " ", StringComparison.Ordinal))
            ?? $"(no row for {version})";

    static Task<ProcessResult> Bus(string[] arguments) => HostedPipeline.Cli(arguments);

    /// <summary>The lifecycle saga's table as the lifecycle host keeps it.</summary>
    static SagaStore<ModelLifecycleState> Lifecycle(string connectionString) =>
        new(new SagaStoreOptions<ModelLifecycleState>(connectionString, ModelLifecycleStateDefinition.TableName,
            [new IndexedColumn<ModelLifecycleState>(ModelLifecycleStateDefinition.ModelNameColumn, s => s.ModelName)])
        {
            State = s => s.CurrentState,
            StateMember = nameof(ModelLifecycleState.CurrentState),
        });

    internal static async Task<string?> State(string connectionString, string version)
    {
        if (!File.Exists(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource))
            return null;
        var store = Lifecycle(connectionString);
        try
        {
            await using var connection = await store.Options.Dialect.OpenAsync(default);
            await using var transaction = await connection.BeginTransactionAsync();
            return (await store.LoadAsync(connection, transaction, ModelVersionKey.For("digits", version), default))?.CurrentState;
        }
        catch (System.Data.Common.DbException)
        {
            return null; // the host has not created its tables yet, or is writing
        }
    }
}
