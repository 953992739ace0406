using System.Text.Json;
using Bus.Contracts;
using Bus.Pipeline;
using Bus.Testing;
using Bus.Tooling;
using Bus.Transport.AmazonSqs;
using Bus.Transport.AmazonSqs.Sns;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.IntegrationTests;

/// <summary>Stands in for the evaluation host: answers every request with fixed metrics.</summary>
public sealed class StandInEvaluator : IConsumer<EvaluateModel>
{
    public Task Consume(ConsumeContext<EvaluateModel> context) => context.Publish(new ModelEvaluated
    {
        ModelVersionId = context.Message.ModelVersionId,
        ModelName = context.Message.ModelName,
        ModelVersion = context.Message.ModelVersion,
        Metrics = new Dictionary<string, double> { ["accuracy"] = context.Message.ModelVersion == "weak" ? 0.5 : 0.96 },
        Evaluator = "evaluator@integration",
        EvaluatedAt = DateTimeOffset.UtcNow,
    });
}

/// <summary>Stands in for the deployment host: the alias moves, the first champion has no predecessor.</summary>
public sealed class StandInDeployer : IConsumer<DeployModel>
{
    public Task Consume(ConsumeContext<DeployModel> context) => context.Publish(new ModelDeployed
    {
        ModelVersionId = context.Message.ModelVersionId,
        ModelName = context.Message.ModelName,
        ModelVersion = context.Message.ModelVersion,
        AliasRevision = 1,
        DeployedBy = "deployer@integration",
        DeployedAt = DateTimeOffset.UtcNow,
    });
}

[Collection(EmulatorCollection.Name)]
public class When_a_training_job_announces_a_model_over_SNS(EmulatorFixture emulator)
{
    [Fact]
    public async Task Should_carry_the_version_through_the_saga_to_Deployed_and_reject_a_weak_one()
    {
        var scope = Emulated.Scope("it");
        var services = new ServiceCollection();
        services.AddTestDefaults(inactivity: TimeSpan.FromSeconds(5));
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.AddDelayedMessageScheduler();
            x.AddModelLifecycleSaga().InMemoryRepository();
            x.AddConsumer<StandInEvaluator>().Endpoint(e => e.Name = "evaluate-model");
            x.AddConsumer<StandInDeployer>().Endpoint(e => e.Name = "deploy-model");
            x.UsingAmazonSqs((context, cfg) => cfg.PipelineBus(context, emulator.ServiceUrl, scope));
        });
        await using var provider = services.BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(30);
        await harness.Start();
        try
        {
            var saga = harness.GetSagaStateMachineHarness<ModelLifecycleStateMachine, ModelLifecycleState>();
            var machine = provider.GetRequiredService<ModelLifecycleStateMachine>();

            // What a Python job does: plain camelCase JSON to the stage topic, through the SNS Query API.
            using var sns = new SnsClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
            var topicArn = await sns.CreateTopicAsync($"{scope}-training-complete");
            foreach (var version in new[] { "1", "weak" })
            {
                await sns.PublishAsync(topicArn, JsonSerializer.Serialize(new
                {
                    modelName = "digits",
                    modelVersion = version,
                    runId = "run-" + version,
                    artifactUri = $"s3://models/digits/{version}/model.json",
                    artifactFormat = "tfjs-layers",
                    artifactSha256 = new string('c', 64),
                    validationSetUri = "s3://datasets/digits/validation.json",
                    producer = "python-trainer",
                }));
            }

            var good = ModelVersionKey.For("digits", "1");
            var weak = ModelVersionKey.For("digits", "weak");
            (await saga.Exists(good, machine.Deployed, TimeSpan.FromSeconds(30))).Should().NotBeNull(
                $"digits 1 is {saga.Sagas.Find(good)?.CurrentState ?? "unknown"}; consumed: " +
                    $"{string.Join(", ", harness.Consumed.Snapshot().Select(m => m.MessageType.Name))}");
            (await saga.Exists(weak, machine.Rejected, TimeSpan.FromSeconds(30))).Should().NotBeNull();

            // The state is set just before its record is appended, and the in-memory repository shares the instance: wait for the record.
            (await Poll.Until(() => saga.Sagas.Find(good)!.History.LastOrDefault()?.State == LifecycleStates.Deployed)).Should().BeTrue();
            var history = saga.Sagas.Find(good)!.History;
            history.Select(x => x.State).Should().Equal(LifecycleStates.Evaluating, LifecycleStates.Approved, LifecycleStates.Deployed);
            history[0].Actor.Should().Be("python-trainer");
            saga.Sagas.Find(weak)!.Reason.Should().Contain("accuracy 0.5 < minimum 0.9");
        }
        finally
        {
            await harness.Stop();
        }
    }
}
