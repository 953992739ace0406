using System.Net.Http.Json;
using System.Text.Json;
using Bus.Contracts;
using Bus.Registry;
using Bus.Testing;
using Bus.Tooling;
using Npgsql;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// Two Bus.Host processes (lifecycle, evaluation and deployment each) on one PostgreSQL database and one set of
/// queues: 200 model versions, real TF.js artifacts evaluated with ONNX Runtime, and one host killed with SIGKILL
/// midway.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_two_hosts_share_one_PostgreSQL(EmulatorFixture emulator, ITestOutputHelper output)
{
    const int Models = 4;
    const int VersionsPerModel = 50;
    static readonly string[] Final = ["Deployed", "Superseded", "Rejected", "Failed"];

    [Fact]
    public async Task Should_finish_every_version_once_when_one_host_is_killed_midway()
    {
        await using var postgres = await PostgresCluster.StartAsync();
        var connectionString = await HostedPipeline.CreateDatabase(postgres, "pipeline");
        using var pipeline = new HostedPipeline(emulator, "two", output);
        var good = await pipeline.TrainAsync("good");
        var weak = await pipeline.TrainAsync("weak", weak: true);

        // Nothing shared but PostgreSQL and the queues: each host has its own data directory, as on two machines; the
        // saga state, inbox, outbox and the model registry (one production alias per model) are in the database.
        Dictionary<string, string> Settings(string name) => pipeline.Settings(Path.Combine(pipeline.Data, name), connectionString);
        string[] stages = ["lifecycle", "evaluation", "deployment"];
        var a = await HostProcess.StartAsync("host-a", stages, Settings("a"), default);
        var b = await HostProcess.StartAsync("host-b", stages, Settings("b"), default);
        try
        {
            var expectedRejected = new HashSet<Guid>();
            var announcements = new List<Task>();
            for (var m = 0; m < Models; m++)
            {
                for (var v = 1; v <= VersionsPerModel; v++)
                {
                    var isWeak = v % 4 == 0;
                    var name = $"digits-{m}";
                    var version = v.ToString("000", System.Globalization.CultureInfo.InvariantCulture);
                    if (isWeak)
                        expectedRejected.Add(ModelVersionKey.For(name, version));
                    announcements.Add(pipeline.AnnounceAsync(name, version, isWeak ? weak : good, producer: "load-test"));
                }
            }

            await Task.WhenAll(announcements);

            // Kill host A once a quarter of the versions are done: whatever it was consuming or delivering is
            // redelivered (SQS visibility), re-claimed (inbox lease) or resumed (outbox lease) by host B.
            await pipeline.WaitFor(async () => await CountFinal(connectionString) >= Models * VersionsPerModel / 4, "a quarter of the versions final",
                TimeSpan.FromMinutes(5));
            a.Kill();
            var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var atKill = await CountFinal(connectionString);
            output.WriteLine($"killed host-a with {atKill} versions final");
            atKill.Should().BeLessThan(Models * VersionsPerModel, "host-a dies with work left for host-b");

            await pipeline.WaitFor(async () => await CountFinal(connectionString) == Models * VersionsPerModel, "every version final", TimeSpan.FromMinutes(8),
                () => b.Log);
            // Every version final is not yet quiet: what host-a had received when it died (a DeployModel whose alias
            // move it made but whose ModelDeployed it never committed, say) comes back to host-b once its SQS visibility
            // and inbox lease lapse, and only then does the champion it replaced hear that it was superseded. Quiet is:
            // nothing waiting in the outbox, no claim held on a shared queue, nothing waiting or in flight on the
            // queues (scheduled evaluation timeouts aside, and host-a's own serving queue, which nobody else reads).
            await pipeline.WaitFor(async () => await Pending(connectionString) == 0, "the outbox drained", TimeSpan.FromMinutes(2));
            output.WriteLine("unconsumed claims once every version is final: " + string.Join(", ", await Claims(connectionString)));
            const string Serving = "consumer_type LIKE '%" + nameof(Stages.Serving.ServeChampionConsumer) + "'";
            await pipeline.WaitFor(async () => await Scalar(connectionString,
                $"SELECT COUNT(*) FROM bus_inbox WHERE consumed_at IS NULL AND NOT {Serving}") == 0,
                "no claim left behind on a shared queue", TimeSpan.FromMinutes(3), () => b.Log);
            Dictionary<string, long> backlog = [];
            await pipeline.WaitFor(async () => (backlog = await pipeline.QueueBacklogAsync()).Where(q => q.Key != "serve-models-host-a").All(q => q.Value == 0),
                "the queues drained", TimeSpan.FromMinutes(3), () => string.Join(", ", backlog.Where(q => q.Value > 0).Select(q =>
                    $"{q.Key}: {q.Value}")) + "\n" + b.Log);
            await pipeline.WaitFor(async () => await Pending(connectionString) == 0, "the outbox drained again", TimeSpan.FromMinutes(2));
            // Judged once host-b's own serving is settled too: a ModelDeployed the outbox sent just before it drained can
            // still be in host-b's hands (serving reads and checks each artifact afresh), and its claim is consumed when
            // that ends. What is left then is host-a's: what it had claimed from its own queue (which nobody else reads)
            // when it died. Its endpoint claims a message before the consumer's one-at-a-time limit lets it in, so that can
            // be more than one; none may be host-b's.
            var hostB = await Rows(connectionString, $"SELECT DISTINCT consumer_id FROM bus_inbox WHERE {Serving} AND consumed_at > {killedAt}");
            hostB.Should().ContainSingle("only host-b serves once host-a is dead");
            var servingClaims = $"SELECT consumer_id || ' ' || message_id || ' receives ' || receive_count || ' lease ' || COALESCE(locked_until, 0) " +
                $"FROM bus_inbox WHERE consumed_at IS NULL AND {Serving}";
            await pipeline.WaitFor(async () => (await Rows(connectionString, servingClaims)).All(c => !c.StartsWith(hostB[0], StringComparison.Ordinal)),
                "every serving claim of host-b consumed", TimeSpan.FromMinutes(2),
                () => string.Join("\n", Rows(connectionString, servingClaims).GetAwaiter().GetResult()) + "\n" + b.Log);
            var left = await Rows(connectionString, $"SELECT DISTINCT consumer_id FROM bus_inbox WHERE consumed_at IS NULL AND {Serving}");
            left.Should().HaveCountLessThanOrEqualTo(1, "what is left is one host's, host-a's: " +
                string.Join("; ", await Rows(connectionString, servingClaims)));
            left.Should().NotContain(hostB[0]);

            var sagas = await Sagas(connectionString);
            sagas.Should().HaveCount(Models * VersionsPerModel);
            foreach (var saga in sagas)
            {
                var states = saga.History.Select(h => h.State).ToList();
                states.Should().OnlyHaveUniqueItems($"{saga.ModelName} {saga.ModelVersion} passes each state once: {string.Join(" > ", states)}");
                states.Count(s => s == "Deployed").Should().BeLessThanOrEqualTo(1, "no version is deployed twice");
                if (expectedRejected.Contains(saga.CorrelationId))
                    saga.CurrentState.Should().Be("Rejected", $"{saga.ModelName} {saga.ModelVersion} is the weak model");
                else
                    saga.CurrentState.Should().BeOneOf("Deployed", "Superseded", "Rejected");
            }

            var hosts = sagas.SelectMany(s => s.History).Select(h => h.Actor + " " + h.Host).ToList();
            hosts.Should().Contain(x => x.Contains("host-a", StringComparison.Ordinal), "both hosts did work").And.Contain(x => x.Contains("host-b",
                StringComparison.Ordinal));
            foreach (var model in sagas.GroupBy(s => s.ModelName))
            {
                var champions = model.Where(s => s.CurrentState == "Deployed").ToList();
                champions.Should().HaveCount(1,
                    $"{model.Key} has exactly one champion; found {string.Join("\n", champions.Select(Describe))}\nregistry: " +
                        $"{await Registry(connectionString, model.Key)}");
                var alias = (await ModelRegistry.Connect(connectionString).ChampionAsync(model.Key))!;
                alias.ModelVersionId.Should().Be(champions[0].CorrelationId, "the shared registry's production alias is the saga's champion");
                alias.Revision.Should().Be(champions[0].AliasRevision);
            }

            (await Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NULL")).Should().Be(0);

            // What production really did: every alias revision in the registry has exactly one Deployed record in the audit
            // log, for the version the registry names, even when a version's ModelDeployed came after its ModelSuperseded.
            var audit = new Persistence.Audit.AuditLog(connectionString);
            var records = await audit.ReadAsync().ToListAsync();
            var deployed = records.Where(r => r.Entry.ToState == "Deployed").ToList();
            foreach (var model in sagas.Select(x => x.ModelName).Distinct())
            {
                var revisions = await ModelRegistry.Connect(connectionString).HistoryAsync(model);
                static DateTimeOffset Ms(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());
                deployed.Where(r => r.Entry.ModelName == model).OrderBy(r => r.Entry.AliasRevision)
                    .Select(r => (r.Entry.AliasRevision, r.Entry.ModelVersion, r.Entry.ServedFrom))
                    .Should().Equal(revisions.Select(r => ((long?)r.Revision, r.ModelVersion, (DateTimeOffset?)Ms(r.At))),
                        $"{model}: one Deployed record per alias revision, serving from the revision's time in the registry");
                var ended = records.Where(r => r.Entry.ModelName == model && r.Entry.ServedUntil is not null).ToList();
                ended.Should().HaveCountGreaterThanOrEqualTo(revisions.Count - 1, "every revision but the last one ended");
                ended.Where(r => r.Entry.ServedUntil != Ms(revisions.Single(v => v.Revision == r.Entry.AliasRevision + 1).At))
                    .Select(r => $"{r.Sequence}: {r.Entry.ModelVersion} {r.Entry.ToState} rev {r.Entry.AliasRevision} until {r.Entry.ServedUntil:O}")
                    .Should().BeEmpty("a version stops serving when the next alias revision is made");
            }

            (await audit.VerifyAsync()).Valid.Should().BeTrue("two hosts appending to one PostgreSQL give one valid chain");


            // An operator rolls the surviving champion of digits-0 back through host-b's API: the command goes
            // through the bus outbox, the saga restores the previous champion.
            var champion = sagas.Single(x => x.ModelName == "digits-0" && x.CurrentState == "Deployed");
            using var http = new HttpClient { BaseAddress = b.Url };
            http.DefaultRequestHeaders.Add("X-Api-Key", HostedPipeline.OperatorApiKey);
            (await http.PostAsJsonAsync($"/lifecycle/digits-0/{champion.ModelVersion}/rollback", new { reason = "" })).StatusCode
                .Should().Be(System.Net.HttpStatusCode.BadRequest, "an unaudited rollback is refused");
            var accepted = await http.PostAsJsonAsync($"/lifecycle/digits-0/{champion.ModelVersion}/rollback", new
            {
                reason = "latency regression",
                requestedBy = "oncall@test"
            });
            accepted.StatusCode.Should().Be(System.Net.HttpStatusCode.Accepted);
            await pipeline.WaitFor(async () => (await Sagas(connectionString)).Single(x => x.CorrelationId == champion.CorrelationId)
                .CurrentState == "RolledBack",
                "the champion rolled back", TimeSpan.FromMinutes(1), () => b.Log);
            var after = await Sagas(connectionString);
            after.Single(x => x.CorrelationId == champion.PreviousChampionId).CurrentState.Should().Be("Deployed", "the previous champion serves again");
            after.Where(x => x.ModelName == "digits-0").Count(x => x.CurrentState == "Deployed").Should().Be(1);
            after.Single(x => x.CorrelationId == champion.CorrelationId).History.Should()
                .Contain(h => h.Actor == "apikey:ci-operator" && h.Detail != null && h.Detail.Contains("on behalf of oncall@test", StringComparison.Ordinal),
                    "the authenticated principal is the actor; the body's claim a note");
        }
        finally
        {
            a.Kill();
            await b.DisposeAsync();
            await a.DisposeAsync();
        }
    }

    static string Describe(Pipeline.ModelLifecycleState s) =>
        $"{s.ModelVersion} rev {s.AliasRevision}: " + string.Join(" | ", s.History.Select(h =>
            $"{h.State} by {h.Event} at {h.At:HH:mm:ss.fff} ({h.Detail}; {h.Actor}; msg {h.MessageId})"));

    static async Task<string> Registry(string connectionString, string model) =>
        string.Join(", ", (await ModelRegistry.Connect(connectionString).HistoryAsync(model)).Select(h => $"{h.Revision}:{h.ModelVersion}"));

    static async Task<long> Scalar(string connectionString, string sql)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (PostgresException ex) when (ex.SqlState == "42P01")
        {
            return 0; // the hosts have not created the tables yet
        }
    }

    static Task<List<string>> Claims(string connectionString) =>
        Rows(connectionString, "SELECT consumer_type || ' ' || message_id FROM bus_inbox WHERE consumed_at IS NULL");

    static async Task<List<string>> Rows(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var claims = new List<string>();
        while (await reader.ReadAsync())
            claims.Add(reader.GetString(0));
        return claims;
    }

    static Task<long> CountFinal(string connectionString) =>
        Scalar(connectionString, $"SELECT COUNT(*) FROM model_lifecycle WHERE current_state IN ({string.Join(", ", Final.Select(f => $"'{f}'"))})");

    static Task<long> Pending(string connectionString) => Scalar(connectionString, "SELECT COUNT(*) FROM bus_outbox WHERE delivered_at IS NULL");

    static async Task<List<Pipeline.ModelLifecycleState>> Sagas(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT data::text FROM model_lifecycle", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<Pipeline.ModelLifecycleState>();
        while (await reader.ReadAsync())
            result.Add(JsonSerializer.Deserialize<Pipeline.ModelLifecycleState>(reader.GetString(0), new JsonSerializerOptions(JsonSerializerDefaults.Web))!);
        return result;
    }
}
