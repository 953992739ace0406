using Bus.Contracts;

namespace Bus.Pipeline.Tests;

/// <summary>Nothing strands a version: every stage that waits on another host ends with a reason when it never answers.</summary>
public class When_a_stage_never_answers
{
    static void Short(ModelLifecycleOptions o)
    {
        o.DeploymentTimeout = TimeSpan.FromSeconds(1);
        o.RollbackTimeout = TimeSpan.FromSeconds(1);
    }

    static ModelDeployed Deployed(Guid id, string version, long revision, Guid? previous = null, string? previousVersion = null) => new()
    {
        ModelVersionId = id,
        ModelName = "digits",
        ModelVersion = version,
        AliasRevision = revision,
        PreviousModelVersionId = previous,
        PreviousModelVersion = previousVersion,
        Reason = DeploymentReason.Promotion,
        DeployedAt = DateTimeOffset.UtcNow,
        DeployedBy = "deployer@late",
    };

    [Fact]
    public async Task Should_fail_an_approved_version_whose_deployment_never_answers()
    {
        await using var h = await LifecycleHarness.Start(Short, deploymentHost: false);
        var id = ModelVersionKey.For("digits", "1");
        await h.Publish(LifecycleHarness.Announcement("digits", "1"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "1", 0.97));

        (await h.InState(id, h.Machine.Failed)).Should().BeTrue($"it is {h.StateOf(id)}");
        h.Instance(id)!.Reason.Should().Contain("no deployment answer within 00:00:01");
    }

    [Fact]
    public async Task Should_record_a_deployment_confirmed_after_its_timeout_as_deployed()
    {
        await using var h = await LifecycleHarness.Start(Short, deploymentHost: false);
        var id = ModelVersionKey.For("digits", "1");
        await h.Publish(LifecycleHarness.Announcement("digits", "1"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "1", 0.97));
        (await h.InState(id, h.Machine.Failed)).Should().BeTrue();

        await h.Publish(Deployed(id, "1", 1));

        (await h.InState(id, h.Machine.Deployed)).Should().BeTrue("the version served: the record must say so");
        h.Instance(id)!.History.Last().Detail.Should().Contain("deployment confirmed after its timeout");
    }

    [Fact]
    public async Task Should_give_the_champion_back_when_a_rollback_never_completes()
    {
        await using var h = await LifecycleHarness.Start(Short, deploymentHost: false);
        var id = ModelVersionKey.For("digits", "2");
        await h.Publish(LifecycleHarness.Announcement("digits", "2"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "2", 0.97));
        (await h.InState(id, h.Machine.Approved)).Should().BeTrue();
        // Its predecessor is unknown to this saga store, so the restore request reaches no one.
        await h.Publish(Deployed(id, "2", 2, Guid.NewGuid(), "1"));
        (await h.InState(id, h.Machine.Deployed)).Should().BeTrue();

        await h.Publish(new RollbackModel { ModelVersionId = id, Reason = "latency", RequestedBy = "oncall" });

        (await h.InState(id, h.Machine.RollingBack)).Should().BeTrue();
        (await Bus.Testing.Poll.Until(() => h.Instance(id)?.History.LastOrDefault()?.Detail?.Contains("rollback did not complete",
            StringComparison.Ordinal) == true))
            .Should().BeTrue($"it is {h.StateOf(id)}");
        h.StateOf(id).Should().Be(LifecycleStates.Deployed);
    }

    [Fact]
    public async Task Should_end_a_restore_that_never_answers_and_keep_the_current_champion()
    {
        await using var h = await LifecycleHarness.Start(Short);
        var v1 = await h.Deploy("digits", "1", 0.95);
        var v2 = await h.Deploy("digits", "2", 0.96);
        (await h.InState(v1, h.Machine.Superseded)).Should().BeTrue();
        h.Deployments.SilentVersions.Add("1");

        await h.Publish(new RollbackModel { ModelVersionId = v2, Reason = "latency", RequestedBy = "oncall" });

        (await h.InState(v1, h.Machine.Restoring)).Should().BeTrue();
        (await Bus.Testing.Poll.Until(() => h.Instance(v1)?.History.LastOrDefault()?.Detail?.Contains("restore got no answer",
            StringComparison.Ordinal) == true))
            .Should().BeTrue($"v1 is {h.StateOf(v1)}");
        h.StateOf(v1).Should().Be(LifecycleStates.Superseded);
        (await h.InState(v2, h.Machine.Deployed)).Should().BeTrue("the rollback is refused with the reason, v2 still serves");
    }
}
