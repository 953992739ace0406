using System.Text.Json;
using Amazon.SQS.Model;
using Bus.Contracts;
using Bus.Persistence;
using Bus.Persistence.Outbox;
using Bus.Pipeline;
using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.IntegrationTests;

public sealed class EvaluationCounter
{
    int _count;
    public int Count => Volatile.Read(ref _count);
    public void Increment() => Interlocked.Increment(ref _count);
}

/// <summary>The stand-in evaluator, counting how often it really ran.</summary>
public sealed class CountingEvaluator(EvaluationCounter counter) : IConsumer<EvaluateModel>
{
    public async Task Consume(ConsumeContext<EvaluateModel> context)
    {
        counter.Increment();
        await new StandInEvaluator().Consume(context);
    }
}

public sealed record LaneNote
{
    public required Guid Id { get; init; }
    public required string Lane { get; init; }
}

public sealed class LaneRecorder(System.Collections.Concurrent.ConcurrentQueue<(string Endpoint, Guid Id)> seen, string endpoint) : IConsumer<LaneNote>
{
    public Task Consume(ConsumeContext<LaneNote> context)
    {
        seen.Enqueue((endpoint, context.Message.Id));
        return Task.CompletedTask;
    }
}

public sealed class EvaluatedRecorder : IConsumer<ModelEvaluated>
{
    public Task Consume(ConsumeContext<ModelEvaluated> context) => Task.CompletedTask;
}

[Collection(EmulatorCollection.Name)]
public class When_the_pipeline_runs_through_the_durable_outbox(EmulatorFixture emulator)
{
    static readonly string Sqlite = Emulated.SqliteFile("outbox-it");

    ServiceProvider Build(string scope, string connectionString, Action<IBusRegistrationConfigurator> add)
    {
        var services = new ServiceCollection();
        services.AddSingleton<EvaluationCounter>();
        services.AddTestDefaults(inactivity: TimeSpan.FromSeconds(5));
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.AddDelayedMessageScheduler();
            x.AddBusOutbox(connectionString, o => o.PollInterval = TimeSpan.FromMilliseconds(200));
            add(x);
            x.UsingAmazonSqs((context, cfg) => cfg.PipelineBus(context, emulator.ServiceUrl, scope));
        });
        return services.BuildServiceProvider(true);
    }

    [Fact]
    public async Task Should_carry_versions_to_their_final_state_with_every_event_published_from_the_outbox()
    {
        var scope = Emulated.Scope("ob");
        await using var provider = Build(scope, Sqlite, x =>
        {
            x.AddModelLifecycleSaga().BusRepository(Sqlite, "model_lifecycle", s => s.CurrentState, new IndexedColumn<ModelLifecycleState>("model_name", s =>
                s.ModelName));
            x.AddConsumer<CountingEvaluator>().Endpoint(e => e.Name = "evaluate-model");
            x.AddConsumer<StandInDeployer>().Endpoint(e => e.Name = "deploy-model");
        });
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(30);
        await harness.Start();
        try
        {
            foreach (var version in new[] { "1", "weak" })
            {
                await harness.Bus.Publish(new TrainingCompleted
                {
                    ModelName = "digits",
                    ModelVersion = version,
                    ArtifactUri = $"s3://models/digits/{version}/model.json",
                    ArtifactFormat = "tfjs-layers",
                    ArtifactSha256 = new string('d', 64),
                    ValidationSetUri = "s3://datasets/digits/validation.json",
                    Producer = "trainer@it",
                });
            }

            var store = provider.GetRequiredService<SagaStore<ModelLifecycleState>>();
            async Task<ModelLifecycleState?> Load(string version)
            {
                await store.EnsureSchemaAsync();
                await using var c = await store.Options.Dialect.OpenAsync(default);
                await using var t = await c.BeginTransactionAsync();
                return await store.LoadAsync(c, t, ModelVersionKey.For("digits", version), default);
            }

            var until = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < until && ((await Load("1"))?.CurrentState != LifecycleStates.Deployed
                || (await Load("weak"))?.CurrentState != LifecycleStates.Rejected))
                await Task.Delay(200);

            var good = await Load("1");
            good!.History.Select(h => h.State).Should().Equal(LifecycleStates.Evaluating, LifecycleStates.Approved, LifecycleStates.Deployed);
            (await Load("weak"))!.CurrentState.Should().Be(LifecycleStates.Rejected);
            provider.GetRequiredService<EvaluationCounter>().Count.Should().Be(2, "one evaluation per version");
        }
        finally
        {
            await harness.Stop();
        }
    }

    [Fact]
    public async Task Should_run_the_consumer_once_when_SQS_delivers_the_same_message_twice()
    {
        var scope = Emulated.Scope("dup");
        var connectionString = Emulated.SqliteFile("dup-it");
        await using var provider = Build(scope, connectionString, x =>
        {
            x.AddConsumer<CountingEvaluator>().Endpoint(e => e.Name = "evaluate-model");
            x.AddConsumer<EvaluatedRecorder>().Endpoint(e => e.Name = "evaluated-recorder");
        });
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(30);
        await harness.Start();
        try
        {
            // One message as a broker redelivers it after a lost delete: the same envelope, the same MessageId, twice.
            var messageId = NewId.NextGuid();
            var envelope = JsonSerializer.Serialize(new
            {
                messageId,
                messageType = new[] { "urn:message:Bus.Contracts:EvaluateModel" },
                message = new EvaluateModel
                {
                    ModelVersionId = ModelVersionKey.For("digits", "dup"),
                    ModelName = "digits",
                    ModelVersion = "dup",
                    Artifact = new ModelArtifact { Uri = "s3://models/digits/dup/model.json", Format = "tfjs-layers", Sha256 = new string('e', 64) },
                },
                sentTime = DateTime.UtcNow,
            }, new JsonSerializerOptions(JsonSerializerDefaults.Web));
            using var sqs = EmulatorClients.Sqs(emulator.ServiceUrl);
            var url = (await sqs.GetQueueUrlAsync(EntityNames.Queue("evaluate-model", scope))).QueueUrl;
            for (var i = 0; i < 2; i++)
            {
                await sqs.SendMessageAsync(new SendMessageRequest
                {
                    QueueUrl = url,
                    MessageBody = envelope,
                    MessageAttributes = new()
                    {
                        ["Content-Type"] = new MessageAttributeValue
                        {
                            DataType = "String",
                            StringValue = "application/vnd.masstransit+json"
                        }
                    },
                });
            }

            var until = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < until && await ReceiveCount(connectionString) < 2)
                await Task.Delay(100);
            (await ReceiveCount(connectionString)).Should().Be(2, "SQS delivered it twice and the inbox saw both");
            (await Poll.Until(() => harness.Consumed.Snapshot<ModelEvaluated>().Any())).Should().BeTrue();
            await Task.Delay(1500);

            provider.GetRequiredService<EvaluationCounter>().Count.Should().Be(1, "the inbox acknowledges the second delivery without running the consumer");
            harness.Consumed.Snapshot<ModelEvaluated>().Count().Should().Be(1, "and nothing it published goes out twice");
            var messages = await sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
            (messages.ApproximateNumberOfMessages + messages.ApproximateNumberOfMessagesNotVisible).Should().Be(0, "both deliveries were acknowledged");
        }
        finally
        {
            await harness.Stop();
        }
    }

    [Fact]
    public async Task Should_keep_SNS_filter_attributes_on_messages_delivered_from_the_outbox()
    {
        var scope = Emulated.Scope("lane");
        var connectionString = Emulated.SqliteFile("lane-it");
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(string Endpoint, Guid Id)>();
        var services = new ServiceCollection();
        services.AddTestDefaults(inactivity: TimeSpan.FromSeconds(5));
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            x.AddBusOutbox(connectionString, o => o.PollInterval = TimeSpan.FromMilliseconds(200));
            x.UsingAmazonSqs((context, cfg) =>
            {
                cfg.EmulatorHost(emulator.ServiceUrl, scope);
                cfg.FilterAttribute<LaneNote>("lane", m => m.Lane);
                cfg.ReceiveEndpoint("only-digits", e =>
                {
                    e.ConfigureConsumeTopology = false;
                    e.Subscribe<LaneNote>("""{"lane":["digits"]}""");
                    e.Consumer(() => new LaneRecorder(seen, "only-digits"));
                });
                cfg.ReceiveEndpoint("every-lane", e => e.Consumer(() => new LaneRecorder(seen, "every-lane")));
            });
        });
        await using var provider = services.BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        try
        {
            var digits = Guid.NewGuid();
            var iris = Guid.NewGuid();
            await using (var unit = provider.CreateAsyncScope())
            {
                var publish = unit.ServiceProvider.GetRequiredService<IPublishEndpoint>();
                await publish.Publish(new LaneNote { Id = digits, Lane = "digits" });
                await publish.Publish(new LaneNote { Id = iris, Lane = "iris" });
                await unit.ServiceProvider.GetRequiredService<BusUnitOfWork>().CommitAsync();
            }

            var until = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < until && seen.Count < 3)
                await Task.Delay(100);
            await Task.Delay(1500);
            seen.Where(s => s.Endpoint == "only-digits").Select(s => s.Id).Should().Equal([digits], "the filter attribute travelled through the outbox");
            seen.Where(s => s.Endpoint == "every-lane").Select(s => s.Id).Should().BeEquivalentTo([digits, iris]);
        }
        finally
        {
            await harness.Stop();
        }
    }

    static async Task<long> ReceiveCount(string connectionString)
    {
        var database = new BusDatabase(connectionString);
        await database.EnsureSchemaAsync();
        await using var connection = await database.Dialect.OpenAsync(default);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(receive_count), 0) FROM bus_inbox WHERE consumer_type LIKE '%CountingEvaluator'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
