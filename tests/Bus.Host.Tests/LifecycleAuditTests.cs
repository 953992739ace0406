using Bus.Contracts;
using Bus.Persistence.Audit;
using Bus.Pipeline;
using Bus.Stages;
using Bus.Stages.Lifecycle;
using Bus.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Host.Tests;

/// <summary>The lifecycle stage as hosts compose it (durable saga store on SQLite), driven over MassTransit's in-memory harness.</summary>
public class When_the_lifecycle_stage_records_a_version
{
    [Fact]
    public async Task Should_append_every_transition_and_refusal_with_who_and_how_and_never_trim_the_log()
    {
        var data = Directory.CreateTempSubdirectory("bus-audit-").FullName;
        var connectionString = $"Data Source={Path.Combine(data, "bus.db")}";
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Bus:Lifecycle:MaxHistoryEntries"] = "50" }).Build());
        services.AddTestDefaults();
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            x.AddDelayedMessageScheduler();
            new LifecycleStage().AddTo(x, new StageSettings("audit-test", connectionString) { PipelineConnectionString = connectionString });
            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseDelayedMessageScheduler();
                cfg.ConfigureEndpoints(context);
            });
        });
        await using var provider = services.BuildServiceProvider();
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var log = new AuditLog(connectionString);
        var id = ModelVersionKey.For("digits", "1");

        await harness.Bus.Publish(new TrainingCompleted
        {
            ModelName = "digits",
            ModelVersion = "1",
            ArtifactUri = "s3://models/digits/1/model.json",
            ArtifactFormat = ArtifactFormats.TfjsLayers,
            ArtifactSha256 = new string('b', 64),
            ValidationSetUri = "s3://datasets/digits/validation.json",
            TrainingMetrics = new Dictionary<string, double> { ["loss"] = 0.12 },
            Producer = "trainer@test",
        });
        await Until(log, rows => rows.Count == 1);
        await harness.Bus.Publish(new ModelEvaluated
        {
            ModelVersionId = id,
            ModelName = "digits",
            ModelVersion = "1",
            Metrics = new Dictionary<string, double> { ["accuracy"] = 0.99, ["macroF1"] = 0.98 },
            SampleCount = 360,
            EvaluatedAt = DateTimeOffset.UtcNow,
            Evaluator = "evaluator@test",
        });
        await Until(log, rows => rows.Count == 2);
        await harness.Bus.Publish(new ModelDeployed
        {
            ModelVersionId = id,
            ModelName = "digits",
            ModelVersion = "1",
            AliasRevision = 1,
            DeployedAt = DateTimeOffset.UtcNow,
            DeployedBy = "deployer@test",
        });
        var earlier = await Until(log, rows => rows.Count == 3);

        // 600 refused rollbacks (the first version has no predecessor): each is recorded, none pushes out what came before.
        for (var i = 0; i < 600; i++)
        {
            await harness.Bus.Publish(new RollbackModel { ModelVersionId = id, Reason = $"drill {i}", RequestedBy = "oncall@test" },
                c => c.Headers.Set(AuditHeaders.ActorKind, AuditHeaders.Http));
        }

        var all = await Until(log, rows => rows.Count == 603, TimeSpan.FromMinutes(2));
        await harness.Stop();

        all.Take(3).Should().BeEquivalentTo(earlier, "the earlier records are still there, unchanged");
        all.Select(r => (r.Entry.FromState, r.Entry.ToState, r.Entry.Event)).Take(3).Should().Equal(
            (null, LifecycleStates.Evaluating, nameof(TrainingCompleted)), (LifecycleStates.Evaluating, LifecycleStates.Approved, nameof(ModelEvaluated)),
            (LifecycleStates.Approved, LifecycleStates.Deployed, nameof(ModelDeployed)));
        all[0].Entry.Should().BeEquivalentTo(new
        {
            ModelName = "digits",
            ModelVersion = "1",
            ModelVersionId = id,
            ActorKind = AuditHeaders.Message,
            ActorName = "trainer@test",
            ArtifactUri = "s3://models/digits/1/model.json",
            ArtifactSha256 = new string('b', 64),
            Metrics = "{\"loss\":0.12}",
        });
        all[1].Entry.Should().BeEquivalentTo(new { ActorName = "evaluator@test", Decision = "promote", Metrics = "{\"accuracy\":0.99,\"macroF1\":0.98}" });
        all[1].Entry.Reasons.Should().StartWith("passed policy");
        all[2].Entry.ActorName.Should().Be("deployer@test");
        all.Skip(3).Should().OnlyContain(r => r.Entry.Event == nameof(RollbackModel) && r.Entry.ActorKind == AuditHeaders.Http
            && r.Entry.ActorName == "oncall@test" && r.Entry.FromState == LifecycleStates.Deployed && r.Entry.ToState == LifecycleStates.Deployed);
        all.Should().OnlyContain(r => r.Entry.MessageId != null && r.Entry.Host != null);
        (await log.VerifyAsync()).Should().BeEquivalentTo(new { Valid = true, Rows = 603L });
    }

    [Fact]
    public void Should_read_the_channel_headers_the_transport_writes() =>
        AuditHeaders.ChannelPrefix.Should().Be(Bus.Transport.AmazonSqs.SqsTransportHeaders.ChannelPrefix,
            "the saga (which cannot know the transport) and the transport (which cannot know contracts) name the channel alike");

    static async Task<List<AuditRow>> Until(AuditLog log, Func<List<AuditRow>, bool> done, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        List<AuditRow> rows = [];
        while (DateTime.UtcNow < until)
        {
            try
            {
                rows = await log.ReadAsync().ToListAsync();
            }
            catch (System.Data.Common.DbException)
            {
                // not created yet: the saga store creates it with its first write
            }

            if (done(rows))
                return rows;
            await Task.Delay(100);
        }

        throw new TimeoutException($"the audit log holds {rows.Count} row(s): {string.Join("; ", rows.Select(r => $"{r.Entry.Event} {r.Entry.ToState}"))}");
    }
}
