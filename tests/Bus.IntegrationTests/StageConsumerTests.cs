using Amazon.S3;
using Amazon.S3.Model;
using Bus.Contracts;
using Bus.Ml;
using Bus.Registry;
using Bus.Stages;
using Bus.Stages.Deployment;
using Bus.Stages.Evaluation;
using Bus.Testing;
using Bus.Tooling;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bus.IntegrationTests;

/// <summary>The stage consumers against the emulator's S3 with a model trained by the TF.js job (on MassTransit's in-memory harness).</summary>
[Collection(EmulatorCollection.Name)]
public class When_the_evaluation_stage_meets_real_artifacts(EmulatorFixture emulator) : IAsyncLifetime
{
    readonly string _bucket = "stage-" + Guid.NewGuid().ToString("N")[..8];
    static readonly string ZeroFeatures = string.Join(",", Enumerable.Repeat("[" + string.Join(",", new float[64]) + "]", 2));
    string _trained = null!;
    string _sha = null!;
    IAmazonS3 _s3 = null!;

    public async Task InitializeAsync()
    {
        _trained = Directory.CreateTempSubdirectory("bus-stage-").FullName;
        var output = await NodeScript.RunAsync("train.mjs", "--no-upload", "--quiet", "--epochs", "6", "--out", _trained);
        _sha = System.Text.Json.JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.GetProperty("artifactSha256").GetString()!;
        _s3 = S3ArtifactStore.CreateClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl);
        await _s3.PutBucketAsync(_bucket);
        foreach (var file in Directory.GetFiles(_trained))
            await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = $"digits/{Path.GetFileName(file)}", FilePath = file });
    }

    public Task DisposeAsync()
    {
        _s3.Dispose();
        Directory.Delete(_trained, recursive: true);
        return Task.CompletedTask;
    }

    async Task<ITestHarness> Harness(ServiceCollection services, IAmazonS3? s3 = null)
    {
        // The stages add their own dependencies; only the artifact store is the test's, for its emulator credentials.
        services.AddSingleton(new S3ArtifactStore(s3 ?? _s3));
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        var settings = new StageSettings("test-evaluator", $"Data Source={Path.Combine(_trained, "registry", "registry.db")}");
        services.Configure<EvaluationOptions>(o =>
        {
            o.Default.ValidationSetUri = $"s3://{_bucket}/digits/validation.json";
            o.Default.ArtifactLocations = [$"s3://{_bucket}/digits/"];
        });
        services.AddTestDefaults(inactivity: TimeSpan.FromSeconds(5));
        services.AddMassTransitTestHarness(x =>
        {
            x.DisableUsageTelemetry();
            new EvaluationStage().AddTo(x, settings);
            new DeploymentStage().AddTo(x, settings);
        });
        var harness = services.BuildServiceProvider(true).GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(90);
        await harness.Start();
        return harness;
    }

    EvaluateModel Request(string sha) => new()
    {
        ModelVersionId = ModelVersionKey.For("digits", "s1"),
        ModelName = "digits",
        ModelVersion = "s1",
        Artifact = new ModelArtifact { Uri = $"s3://{_bucket}/digits/model.json", Format = ArtifactFormats.TfjsLayers, Sha256 = sha },
        ValidationSetUri = $"s3://{_bucket}/digits/validation.json",
    };

    [Fact]
    public async Task Should_measure_the_model_with_ONNX_Runtime()
    {
        var harness = await Harness(new ServiceCollection());

        await harness.Bus.Publish(Request(_sha));

        (await Poll.Until(() => harness.Published.Snapshot<ModelEvaluated>().Any())).Should().BeTrue();
        var evaluated = (await harness.Published.ExactlyOne<ModelEvaluated>()).Context.Message;
        evaluated.SampleCount.Should().Be(360);
        evaluated.Metrics["accuracy"].Should().BeGreaterThan(0.8);
        evaluated.Metrics.Should().ContainKeys("macroF1", "logLoss", "recall_9");
        evaluated.Evaluator.Should().StartWith("test-evaluator@");
        await harness.Stop();
    }

    [Fact]
    public async Task Should_fail_permanently_with_artifact_integrity_when_the_sha256_differs()
    {
        var harness = await Harness(new ServiceCollection());

        await harness.Bus.Publish(Request(new string('0', 64)));

        (await Poll.Until(() => harness.Published.Snapshot<EvaluationFailed>().Any())).Should().BeTrue();
        var failed = (await harness.Published.ExactlyOne<EvaluationFailed>()).Context.Message;
        failed.Permanent.Should().BeTrue();
        failed.Reason.Should().Contain("artifact integrity");
        (await harness.Published.Any<ModelEvaluated>()).Should().BeFalse();
        await harness.Stop();
    }

    DeployModel Deploy(string version, string key, string sha) => new()
    {
        ModelVersionId = ModelVersionKey.For("digits", version),
        ModelName = "digits",
        ModelVersion = version,
        Artifact = new ModelArtifact { Uri = $"s3://{_bucket}/{key}/model.json", Format = ArtifactFormats.TfjsLayers, Sha256 = sha },
    };

    [Fact]
    public async Task Should_refuse_a_deployment_whose_canary_fails_and_keep_the_champion()
    {
        // A copy of the model whose first weight is NaN: it loads and converts, but predicts NaN.
        var broken = Directory.CreateTempSubdirectory("bus-broken-").FullName;
        foreach (var file in Directory.GetFiles(_trained))
            File.Copy(file, Path.Combine(broken, Path.GetFileName(file)));
        var shard = Path.Combine(broken, "group1-shard1of2.bin");
        var bytes = File.ReadAllBytes(shard);
        BitConverter.GetBytes(float.NaN).CopyTo(bytes, 0);
        File.WriteAllBytes(shard, bytes);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(File.ReadAllBytes(Path.Combine(broken, "model.json")));
        hash.AppendData(bytes);
        hash.AppendData(File.ReadAllBytes(Path.Combine(broken, "group1-shard2of2.bin")));
        var brokenSha = Convert.ToHexStringLower(hash.GetHashAndReset());
        foreach (var file in Directory.GetFiles(broken))
            await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = $"broken/{Path.GetFileName(file)}", FilePath = file });
        var services = new ServiceCollection();
        var harness = await Harness(services);
        var registry = harness.Scope.ServiceProvider.GetRequiredService<ModelRegistry>();

        await harness.Bus.Publish(Deploy("good", "digits", _sha));
        (await Poll.Until(() => harness.Published.Snapshot<ModelDeployed>().Any())).Should().BeTrue();
        await harness.Bus.Publish(Deploy("broken", "broken", brokenSha));

        (await Poll.Until(() => harness.Published.Snapshot<DeploymentFailed>().Any())).Should().BeTrue();
        (await harness.Published.ExactlyOne<DeploymentFailed>()).Context.Message.Reason.Should().Contain("canary");
        (await registry.ChampionAsync("digits"))!.ModelVersion.Should().Be("good", "a failed canary keeps the old champion");
        harness.Scope.ServiceProvider.GetRequiredService<ModelServer>().Use("digits", m => m.Version).Should().Be("good");
        await harness.Stop();
        Directory.Delete(broken, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Should_say_a_champion_whose_artifact_changed_is_the_champions_problem(bool failWhenChampionUnusable)
    {
        foreach (var file in Directory.GetFiles(_trained))
            await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = $"digits/champ/{Path.GetFileName(file)}", FilePath = file });
        var services = new ServiceCollection();
        services.Configure<EvaluationOptions>(o => o.Default.FailWhenChampionUnusable = failWhenChampionUnusable);
        var harness = await Harness(services);
        await harness.Bus.Publish(Deploy("champ", "digits/champ", _sha));
        (await Poll.Until(() => harness.Published.Snapshot<ModelDeployed>().Any())).Should().BeTrue();
        // Someone overwrites the deployed champion's weights in S3.
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "digits/champ/group1-shard1of2.bin", ContentBody = "overwritten" });

        await harness.Bus.Publish(Request(_sha));

        if (failWhenChampionUnusable)
        {
            (await Poll.Until(() => harness.Published.Snapshot<EvaluationFailed>().Any())).Should().BeTrue();
            var failed = (await harness.Published.ExactlyOne<EvaluationFailed>()).Context.Message;
            failed.Permanent.Should().BeTrue();
            failed.Reason.Should().StartWith("the champion champ's artifact cannot be used: artifact integrity").And.Contain("FailWhenChampionUnusable");
        }
        else
        {
            (await Poll.Until(() => harness.Published.Snapshot<ModelEvaluated>().Any())).Should().BeTrue();
            var evaluated = (await harness.Published.ExactlyOne<ModelEvaluated>()).Context.Message;
            evaluated.Metrics["accuracy"].Should().BeGreaterThan(0.8, "the candidate is measured as ever");
            evaluated.Champion.Should().BeNull();
            evaluated.ChampionProblem.Should().StartWith("the champion champ's artifact cannot be used: artifact integrity");
        }

        await harness.Stop();
    }

    [Fact]
    public async Task Should_report_a_transient_failure_after_retrying_when_S3_is_unreachable()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var deadPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var unreachable = S3ArtifactStore.CreateClient(EmulatorClients.Credentials, "us-east-1", new Uri($"http://127.0.0.1:{deadPort}"));
        var harness = await Harness(new ServiceCollection(), unreachable);

        await harness.Bus.Publish(Request(_sha));

        (await Poll.Until(() => harness.Published.Snapshot<EvaluationFailed>().Any())).Should().BeTrue();
        var failed = (await harness.Published.ExactlyOne<EvaluationFailed>()).Context.Message;
        failed.Permanent.Should().BeFalse("an unreachable store is transient: the saga may ask again");
        harness.Consumed.Snapshot<EvaluateModel>().Should().ContainSingle();
        await harness.Stop();
    }

    async Task<string> RiggedSet()
    {
        // Two samples the producer picked: what a candidate that aces only them would announce.
        var key = $"digits/rigged-{Guid.NewGuid():N}.json";
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket,
            Key = key,
            ContentBody = $$"""{"inputShape":[8,8,1],"classes":10,"features":[{{ZeroFeatures}}],"labels":[0,0]}""",
        });
        return $"s3://{_bucket}/{key}";
    }

    [Fact]
    public async Task Should_grade_on_the_governed_set_whatever_set_the_producer_announces()
    {
        var harness = await Harness(new ServiceCollection());

        await harness.Bus.Publish(Request(_sha) with { ValidationSetUri = await RiggedSet() });

        (await Poll.Until(() => harness.Published.Snapshot<ModelEvaluated>().Any())).Should().BeTrue();
        var evaluated = (await harness.Published.ExactlyOne<ModelEvaluated>()).Context.Message;
        evaluated.SampleCount.Should().Be(360, "the governed set, not the producer's two samples");
        evaluated.EvaluationSetUri.Should().Be($"s3://{_bucket}/digits/validation.json");
        evaluated.ProducerSuppliedData.Should().BeFalse();
        await harness.Stop();
    }

    [Fact]
    public async Task Should_use_and_label_producer_supplied_data_where_the_policy_allows_it()
    {
        var services = new ServiceCollection();
        services.Configure<EvaluationOptions>(o => o.Models["digits"] = new EvaluationPolicy
        {
            AllowProducerValidationSet = true,
            DatasetLocations = [$"s3://{_bucket}/digits/"]
        });
        var harness = await Harness(services);
        var rigged = await RiggedSet();

        await harness.Bus.Publish(Request(_sha) with { ValidationSetUri = rigged });

        (await Poll.Until(() => harness.Published.Snapshot<ModelEvaluated>().Any())).Should().BeTrue();
        var evaluated = (await harness.Published.ExactlyOne<ModelEvaluated>()).Context.Message;
        evaluated.SampleCount.Should().Be(2);
        evaluated.EvaluationSetUri.Should().Be(rigged);
        evaluated.ProducerSuppliedData.Should().BeTrue();
        await harness.Stop();
    }

    [Fact]
    public async Task Should_fail_an_artifact_outside_the_allowed_locations_before_reading_it()
    {
        var harness = await Harness(new ServiceCollection());

        await harness.Bus.Publish(Request(_sha) with
        {
            Artifact = new ModelArtifact { Uri = $"s3://{_bucket}/elsewhere/model.json", Format = ArtifactFormats.TfjsLayers, Sha256 = _sha },
        });

        (await Poll.Until(() => harness.Published.Snapshot<EvaluationFailed>().Any())).Should().BeTrue();
        var failed = (await harness.Published.ExactlyOne<EvaluationFailed>()).Context.Message;
        failed.Permanent.Should().BeTrue();
        failed.Reason.Should().Contain("is outside the locations allowed for it").And.Contain($"s3://{_bucket}/digits/");
        await harness.Stop();
    }

    [Fact]
    public async Task Should_read_the_announced_uri_even_when_the_sha256_was_seen_before()
    {
        var harness = await Harness(new ServiceCollection());
        await harness.Bus.Publish(Request(_sha));
        (await Poll.Until(() => harness.Published.Snapshot<ModelEvaluated>().Any())).Should().BeTrue();

        // The same sha256 at a URI that does not exist: the cached conversion must not stand in for the artifact.
        await harness.Bus.Publish(Request(_sha) with
        {
            ModelVersionId = ModelVersionKey.For("digits", "ghost"),
            ModelVersion = "ghost",
            Artifact = new ModelArtifact { Uri = $"s3://{_bucket}/digits/ghost/model.json", Format = ArtifactFormats.TfjsLayers, Sha256 = _sha },
        });

        (await Poll.Until(() => harness.Published.Snapshot<EvaluationFailed>().Any())).Should().BeTrue();
        (await harness.Published.ExactlyOne<EvaluationFailed>()).Context.Message.Reason.Should().Contain("does not exist");
        await harness.Stop();
    }
}
