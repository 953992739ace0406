using Bus.Contracts;
using Bus.Testing;
using MassTransit;

namespace Bus.Pipeline.Tests;

public class When_evaluation_fails_permanently
{
    [Fact]
    public async Task Should_fail_the_version_with_the_reason_without_asking_again()
    {
        await using var h = await LifecycleHarness.Start();
        var id = ModelVersionKey.For("digits", "4");
        await h.Publish(LifecycleHarness.Announcement("digits", "4"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        await h.Publish(new EvaluationFailed
        {
            ModelVersionId = id,
            ModelName = "digits",
            ModelVersion = "4",
            Reason = "artifact integrity: sha256 mismatch",
            Permanent = true,
            Evaluator = "evaluator@test",
        });

        (await h.InState(id, h.Machine.Failed)).Should().BeTrue();
        h.Instance(id)!.Reason.Should().Be("evaluation failed: artifact integrity: sha256 mismatch");
        (await h.CountSent<EvaluateModel>(m => m.ModelVersionId == id)).Should().Be(1);
        h.Instance(id)!.History[^1].Actor.Should().Be("evaluator@test");
    }
}

public class When_evaluation_fails_transiently
{
    [Fact]
    public async Task Should_ask_again_until_the_attempts_run_out_then_fail()
    {
        await using var h = await LifecycleHarness.Start(o => o.MaxEvaluationAttempts = 2);
        var id = ModelVersionKey.For("digits", "5");
        await h.Publish(LifecycleHarness.Announcement("digits", "5"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
        var failure = new EvaluationFailed
        {
            ModelVersionId = id,
            ModelName = "digits",
            ModelVersion = "5",
            Reason = "S3 unavailable",
            Permanent = false,
        };

        await h.Publish(failure);
        (await Poll.Until(() => h.Harness.Sent.Snapshot<EvaluateModel>(x => x.Context.Message.Attempt == 2).Any())).Should().BeTrue();
        h.StateOf(id).Should().Be(LifecycleStates.Evaluating);

        await h.Publish(failure);
        (await h.InState(id, h.Machine.Failed)).Should().BeTrue();
        h.Instance(id)!.Reason.Should().Contain("S3 unavailable").And.Contain("gave up after 2 attempt(s)");
        (await h.CountSent<EvaluateModel>(m => m.ModelVersionId == id)).Should().Be(2);
    }
}

public class When_evaluation_never_answers
{
    [Fact]
    public async Task Should_time_out_retry_a_bounded_number_of_times_and_fail()
    {
        await using var h = await LifecycleHarness.Start(o =>
        {
            o.EvaluationTimeout = TimeSpan.FromSeconds(1);
            o.MaxEvaluationAttempts = 2;
        });
        var id = ModelVersionKey.For("digits", "6");

        await h.Publish(LifecycleHarness.Announcement("digits", "6"));

        (await h.Saga.Exists(id, h.Machine.Failed, TimeSpan.FromSeconds(15))).Should().NotBeNull();
        h.Instance(id)!.Reason.Should().Contain("no evaluation answer within").And.Contain("gave up after 2 attempt(s)");
        var attempts = h.Harness.Sent.Snapshot<EvaluateModel>().Select(x => x.Context.Message.Attempt).ToArray();
        attempts.Should().Equal(1, 2);
    }
}

public class When_an_evaluation_arrives_after_the_version_failed
{
    [Fact]
    public async Task Should_ignore_it_and_stay_failed()
    {
        await using var h = await LifecycleHarness.Start();
        var id = ModelVersionKey.For("digits", "8");
        await h.Publish(LifecycleHarness.Announcement("digits", "8"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
        await h.Publish(new EvaluationFailed
        {
            ModelVersionId = id,
            ModelName = "digits",
            ModelVersion = "8",
            Reason = "unsupported layer: LSTM",
            Permanent = true
        });
        (await h.InState(id, h.Machine.Failed)).Should().BeTrue();

        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "8", 0.99));

        (await Poll.Until(() => h.Harness.Consumed.Snapshot<ModelEvaluated>(x => x.Context.Message.ModelVersionId == id).Any())).Should().BeTrue();
        await h.Harness.InactivityTask;
        h.StateOf(id).Should().Be(LifecycleStates.Failed);
        h.Instance(id)!.Reason.Should().Contain("LSTM");
        (await h.CountSent<DeployModel>(_ => true)).Should().Be(0);
        (await h.Harness.Published.Any<Fault<ModelEvaluated>>()).Should().BeFalse("a late event is ignored, not faulted");
    }
}

public class When_deployment_fails
{
    [Fact]
    public async Task Should_fail_the_version_and_keep_the_old_champion()
    {
        await using var h = await LifecycleHarness.Start();
        var champion = await h.Deploy("digits", "1", 0.95);
        h.Deployments.FailingVersions.Add("2");
        var id = ModelVersionKey.For("digits", "2");
        await h.Publish(LifecycleHarness.Announcement("digits", "2"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "2", 0.97));

        (await h.InState(id, h.Machine.Failed)).Should().BeTrue();
        h.Instance(id)!.Reason.Should().Contain("canary prediction failed").And.Contain("previous champion keeps serving");
        h.StateOf(champion).Should().Be(LifecycleStates.Deployed);
        h.Deployments.Champion("digits").Should().Be(champion);
    }
}
