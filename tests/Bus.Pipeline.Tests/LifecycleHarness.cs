using Bus.Contracts;
using Bus.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.Pipeline.Tests;

/// <summary>
/// One in-memory harness per scenario: the lifecycle saga on the in-memory repository, the delayed
/// scheduler for its timeouts, and a stand-in deployment host that keeps a production alias per model name.
/// </summary>
public sealed class LifecycleHarness : IAsyncDisposable
{
    readonly ServiceProvider _provider;

    LifecycleHarness(ServiceProvider provider)
    {
        _provider = provider;
        Harness = provider.GetRequiredService<ITestHarness>();
        Saga = Harness.GetSagaStateMachineHarness<ModelLifecycleStateMachine, ModelLifecycleState>();
        Machine = provider.GetRequiredService<ModelLifecycleStateMachine>();
        Deployments = provider.GetRequiredService<AliasRegistry>();
    }

    public ITestHarness Harness { get; }
    public ISagaStateMachineTestHarness<ModelLifecycleStateMachine, ModelLifecycleState> Saga { get; }
    public ModelLifecycleStateMachine Machine { get; }
    public AliasRegistry Deployments { get; }

    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static async Task<LifecycleHarness> Start(Action<ModelLifecycleOptions>? configure = null, bool deploymentHost = true)
    {
        var services = new ServiceCollection();
        services.AddSingleton<AliasRegistry>();
        services.AddTestDefaults();
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            x.AddDelayedMessageScheduler();
            x.AddModelLifecycleSaga().InMemoryRepository();
            if (deploymentHost)
                x.AddConsumer<StandInDeploymentConsumer>().Endpoint(e => e.Name = "deploy-model");
            x.UsingInMemory((context, cfg) =>
            {
                cfg.UseDelayedMessageScheduler();
                cfg.ConfigureEndpoints(context);
            });
        });
        services.Configure<ModelLifecycleOptions>(o =>
        {
            o.EvaluationTimeout = TimeSpan.FromMinutes(5);
            configure?.Invoke(o);
        });

        var provider = services.BuildServiceProvider(validateScopes: true);
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(20);
        await harness.Start();
        return new LifecycleHarness(provider);
    }

    public static TrainingCompleted Announcement(string model = "digits", string version = "1", string format = ArtifactFormats.TfjsLayers) => new()
    {
        ModelName = model,
        ModelVersion = version,
        RunId = $"run-{version}",
        ArtifactUri = $"s3://models/{model}/{version}/model.json",
        ArtifactFormat = format,
        ArtifactSha256 = new string('a', 64),
        ValidationSetUri = $"s3://datasets/{model}/validation.json",
        TrainingMetrics = new Dictionary<string, double> { ["loss"] = 0.1 },
        ProducedAt = DateTimeOffset.UtcNow,
        Producer = "trainer@test",
    };

    public static ModelEvaluated Evaluation(Guid id, string model, string version, double accuracy, ChampionReference? champion = null) => new()
    {
        ModelVersionId = id,
        ModelName = model,
        ModelVersion = version,
        Metrics = new Dictionary<string, double> { ["accuracy"] = accuracy, ["macroF1"] = accuracy - 0.01 },
        Champion = champion,
        SampleCount = 360,
        EvaluatedAt = DateTimeOffset.UtcNow,
        Evaluator = "evaluator@test",
    };

    public Task Publish<T>(T message) where T : class => Harness.Bus.Publish(message);

    /// <summary>Announces a version and walks it through a passing evaluation until it is Deployed.</summary>
    public async Task<Guid> Deploy(string model, string version, double accuracy, ChampionReference? champion = null)
    {
        var id = ModelVersionKey.For(model, version);
        await Publish(Announcement(model, version));
        (await InState(id, Machine.Evaluating)).Should().BeTrue($"{model} {version} should start evaluating");
        await Publish(Evaluation(id, model, version, accuracy, champion));
        (await InState(id, Machine.Deployed)).Should().BeTrue($"{model} {version} should be deployed; it is {StateOf(id)}");
        return id;
    }

    /// <summary>
    /// The version reached <paramref name="state"/>, and its record of that is written (the saga sets the state just before
    /// it appends the record, and the in-memory repository shares the instance with the test).
    /// </summary>
    public async Task<bool> InState(Guid id, State state)
    {
        if (await Saga.Exists(id, state, Wait) is null)
            return false;
        await Poll.Until(() => Instance(id)?.History.LastOrDefault()?.State == state.Name, TimeSpan.FromSeconds(5));
        return true;
    }

    public ModelLifecycleState? Instance(Guid id) => Saga.Sagas.Find(id);

    public string StateOf(Guid id) => Instance(id)?.CurrentState ?? "(none)";

    public async Task<int> CountSent<T>(Func<T, bool> match) where T : class
    {
        await Harness.InactivityTask;
        return Harness.Sent.Snapshot<T>().Count(x => match(x.Context.Message));
    }

    public async Task<int> CountPublished<T>(Func<T, bool> match) where T : class
    {
        await Harness.InactivityTask;
        return Harness.Published.Snapshot<T>().Count(x => match(x.Context.Message));
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }
}

/// <summary>The production aliases kept by the stand-in deployment host; a canary can be made to fail per version.</summary>
public sealed class AliasRegistry
{
    readonly Dictionary<string, (Guid Id, string Version, long Revision)> _aliases = [];
    public HashSet<string> FailingVersions { get; } = [];

    /// <summary>Versions whose DeployModel is swallowed: no answer ever comes (a lost message, a host gone).</summary>
    public HashSet<string> SilentVersions { get; } = [];

    public (Guid? PreviousId, string? PreviousVersion, long Revision) Promote(string model, Guid id, string version)
    {
        lock (_aliases)
        {
            _aliases.TryGetValue(model, out var current);
            var revision = current.Revision + 1;
            _aliases[model] = (id, version, revision);
            return (current.Id == Guid.Empty ? null : current.Id, current.Version, revision);
        }
    }

    public Guid? Champion(string model)
    {
        lock (_aliases)
            return _aliases.TryGetValue(model, out var current) ? current.Id : null;
    }
}

/// <summary>Stands in for the deployment host of Bus.Host: moves the alias and reports what it replaced.</summary>
public sealed class StandInDeploymentConsumer(AliasRegistry registry) : IConsumer<DeployModel>
{
    public async Task Consume(ConsumeContext<DeployModel> context)
    {
        var m = context.Message;
        if (registry.SilentVersions.Contains(m.ModelVersion))
            return;
        if (registry.FailingVersions.Contains(m.ModelVersion))
        {
            await context.Publish(new DeploymentFailed
            {
                ModelVersionId = m.ModelVersionId,
                ModelName = m.ModelName,
                ModelVersion = m.ModelVersion,
                Reason = "canary prediction failed: output contains NaN",
                DeploymentReason = m.Reason,
                FailedAt = DateTimeOffset.UtcNow,
                DeployedBy = "deployer@test",
            });
            return;
        }

        var (previousId, previousVersion, revision) = registry.Promote(m.ModelName, m.ModelVersionId, m.ModelVersion);
        await context.Publish(new ModelDeployed
        {
            ModelVersionId = m.ModelVersionId,
            ModelName = m.ModelName,
            ModelVersion = m.ModelVersion,
            AliasRevision = revision,
            PreviousModelVersionId = previousId,
            PreviousModelVersion = previousVersion,
            Reason = m.Reason,
            Endpoint = $"http://127.0.0.1/models/{m.ModelName}/predict",
            DeployedAt = DateTimeOffset.UtcNow,
            DeployedBy = "deployer@test",
        });
    }
}
