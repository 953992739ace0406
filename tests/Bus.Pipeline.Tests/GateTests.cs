using Bus.Contracts;
using Bus.Testing;

namespace Bus.Pipeline.Tests;

public class When_a_model_passes_the_gate
{
    [Fact]
    public async Task Should_approve_and_request_deployment()
    {
        await using var h = await LifecycleHarness.Start(deploymentHost: false);
        var id = ModelVersionKey.For("digits", "1");
        await h.Publish(LifecycleHarness.Announcement("digits", "1"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "1", accuracy: 0.95));

        (await h.InState(id, h.Machine.Approved)).Should().BeTrue();
        (await h.CountPublished<ModelApproved>(m => m.ModelVersionId == id && m.Policy == "default")).Should().Be(1);
        var deploy = (await h.Harness.Sent.ExactlyOne<DeployModel>()).Context;
        deploy.DestinationAddress!.AbsolutePath.Should().EndWith("deploy-model");
        deploy.Message.Artifact.Uri.Should().Be("s3://models/digits/1/model.json");
        deploy.Message.Reason.Should().Be(DeploymentReason.Promotion);
        h.Instance(id)!.Metrics["accuracy"].Should().Be(0.95);
    }
}

public class When_a_model_misses_an_absolute_threshold
{
    [Fact]
    public async Task Should_reject_it_naming_the_threshold_and_not_request_deployment()
    {
        await using var h = await LifecycleHarness.Start();
        var id = ModelVersionKey.For("digits", "2");
        await h.Publish(LifecycleHarness.Announcement("digits", "2"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "2", accuracy: 0.42));

        (await h.InState(id, h.Machine.Rejected)).Should().BeTrue();
        (await Poll.Until(() => h.Harness.Published.Snapshot<ModelRejected>().Any())).Should().BeTrue();
        var rejected = (await h.Harness.Published.ExactlyOne<ModelRejected>()).Context.Message;
        var violation = rejected.Violations.Should().ContainSingle().Subject;
        violation.Metric.Should().Be("accuracy");
        violation.Kind.Should().Be("min");
        violation.Bound.Should().Be(0.9);
        violation.By.Should().BeApproximately(0.48, 1e-9);
        rejected.Reason.Should().Contain("accuracy 0.42 < minimum 0.9");
        h.Instance(id)!.Reason.Should().Be(rejected.Reason);
        (await h.CountSent<DeployModel>(_ => true)).Should().Be(0);
    }
}

public class When_a_model_regresses_against_the_champion
{
    [Fact]
    public async Task Should_reject_it_with_the_change_threshold()
    {
        await using var h = await LifecycleHarness.Start();
        var championId = await h.Deploy("digits", "1", 0.97);
        var id = ModelVersionKey.For("digits", "2");
        await h.Publish(LifecycleHarness.Announcement("digits", "2"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        var champion = new ChampionReference
        {
            ModelVersionId = championId,
            ModelVersion = "1",
            Metrics = new Dictionary<string, double> { ["accuracy"] = 0.97 },
        };
        // 0.96 clears the absolute 0.9 but is a full point below the champion (0.5 allowed).
        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "2", 0.96, champion));

        (await h.InState(id, h.Machine.Rejected)).Should().BeTrue();
        var rejected = (await h.Harness.Published.ExactlyOne<ModelRejected>()).Context.Message;
        rejected.ChampionVersion.Should().Be("1");
        var violation = rejected.Violations.Should().ContainSingle().Subject;
        violation.Kind.Should().Be("maxDecrease");
        violation.By.Should().BeApproximately(0.005, 1e-9);
        (await h.InState(championId, h.Machine.Deployed)).Should().BeTrue("a rejected challenger leaves the champion alone");
    }

    [Fact]
    public async Task Should_approve_a_challenger_within_the_allowed_decrease()
    {
        await using var h = await LifecycleHarness.Start(deploymentHost: false);
        var id = ModelVersionKey.For("digits", "2");
        await h.Publish(LifecycleHarness.Announcement("digits", "2"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        var champion = new ChampionReference
        {
            ModelVersionId = Guid.NewGuid(),
            ModelVersion = "1",
            Metrics = new Dictionary<string, double> { ["accuracy"] = 0.97 },
        };
        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "2", 0.966, champion));

        (await h.InState(id, h.Machine.Approved)).Should().BeTrue();
    }
}

public class When_a_model_name_has_its_own_policy
{
    [Fact]
    public async Task Should_gate_it_by_that_policy_and_others_by_the_default()
    {
        await using var h = await LifecycleHarness.Start(o => o.Promotion.Models["fraud"] = new PromotionRule
        {
            Metrics = new(StringComparer.OrdinalIgnoreCase) { ["accuracy"] = new MetricThreshold { Min = 0.99 } },
        }, deploymentHost: false);
        var fraud = ModelVersionKey.For("fraud", "1");
        var digits = ModelVersionKey.For("digits", "1");
        await h.Publish(LifecycleHarness.Announcement("fraud", "1"));
        await h.Publish(LifecycleHarness.Announcement("digits", "1"));
        (await h.InState(fraud, h.Machine.Evaluating)).Should().BeTrue();
        (await h.InState(digits, h.Machine.Evaluating)).Should().BeTrue();

        await h.Publish(LifecycleHarness.Evaluation(fraud, "fraud", "1", 0.95));
        await h.Publish(LifecycleHarness.Evaluation(digits, "digits", "1", 0.95));

        (await h.InState(fraud, h.Machine.Rejected)).Should().BeTrue();
        (await h.InState(digits, h.Machine.Approved)).Should().BeTrue();
        (await h.Harness.Published.ExactlyOne<ModelRejected>()).Context.Message.Policy.Should().Be("fraud");
    }
}

public class When_a_version_is_evaluated_on_data_its_producer_chose
{
    [Fact]
    public async Task Should_say_so_in_the_status_and_the_timeline()
    {
        await using var h = await LifecycleHarness.Start();
        var id = ModelVersionKey.For("digits", "1");
        await h.Publish(LifecycleHarness.Announcement("digits", "1"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "1", 0.97) with
        {
            EvaluationSetUri = "s3://d/digits/mine.json",
            ProducerSuppliedData = true
        });

        (await h.InState(id, h.Machine.Deployed)).Should().BeTrue();
        var saga = h.Instance(id)!;
        saga.ProducerSuppliedData.Should().BeTrue();
        saga.EvaluationSetUri.Should().Be("s3://d/digits/mine.json");
        saga.History.Should().Contain(e => e.Detail != null && e.Detail.Contains("evaluated on producer-supplied data s3://d/digits/mine.json",
            StringComparison.Ordinal));
    }
}
