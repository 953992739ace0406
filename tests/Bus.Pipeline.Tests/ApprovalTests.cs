using Bus.Contracts;
using Bus.Testing;

namespace Bus.Pipeline.Tests;

/// <summary>A policy with RequireApproval: a version that passes the gate waits for a human, who is not its producer.</summary>
public class When_the_policy_requires_a_human_approval
{
    static Action<ModelLifecycleOptions> Policy(TimeSpan? timeout = null, bool fourEyes = true) => o =>
    {
        o.Promotion.Models["digits"] = new PromotionRule
        {
            Metrics = new(StringComparer.OrdinalIgnoreCase) { ["accuracy"] = new MetricThreshold { Min = 0.9 } },
            RequireApproval = true,
            FourEyes = fourEyes,
        };
        o.ApprovalTimeout = timeout ?? TimeSpan.FromHours(24);
    };

    static async Task<(LifecycleHarness H, Guid Id)> Awaiting(Action<ModelLifecycleOptions> policy)
    {
        var h = await LifecycleHarness.Start(policy);
        var id = ModelVersionKey.For("digits", "1");
        await h.Publish(LifecycleHarness.Announcement("digits", "1"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "1", 0.97));
        (await h.InState(id, h.Machine.AwaitingApproval)).Should().BeTrue($"it is {h.StateOf(id)}");
        return (h, id);
    }

    [Fact]
    public async Task Should_wait_and_deploy_nothing_until_an_operator_approves()
    {
        var (h, id) = await Awaiting(Policy());
        await using var _ = h;
        (await h.CountSent<DeployModel>(m => m.ModelVersionId == id)).Should().Be(0, "nothing is deployed before the approval");
        h.Instance(id)!.History[^1].Detail.Should().Contain("passed policy 'digits'").And.Contain("awaiting an operator's approval until");
        h.Instance(id)!.Metrics["accuracy"].Should().Be(0.97);

        await h.Publish(new ApproveModel { ModelVersionId = id, Reason = "reviewed the confusion matrix", ApprovedBy = "apikey:alice" });

        (await h.InState(id, h.Machine.Deployed)).Should().BeTrue($"it is {h.StateOf(id)}");
        var approved = h.Instance(id)!.History.Single(r => r.Event == nameof(ApproveModel));
        approved.Should().BeEquivalentTo(new { State = LifecycleStates.Approved, FromState = LifecycleStates.AwaitingApproval, Actor = "apikey:alice" });
        approved.Detail.Should().Be("approved by apikey:alice: reviewed the confusion matrix");
        (await h.CountPublished<ModelApproved>(m => m.ModelVersionId == id)).Should().Be(1);
    }

    [Fact]
    public async Task Should_refuse_the_producers_own_approval_and_keep_waiting()
    {
        var (h, id) = await Awaiting(Policy());
        await using var _ = h;

        await h.Publish(new ApproveModel { ModelVersionId = id, Reason = "looks fine to me", ApprovedBy = "Trainer@Test" });

        (await h.CountPublished<ApprovalRefused>(m => m.ModelVersionId == id && m.Reason.Contains("four-eyes", StringComparison.Ordinal))).Should().Be(1);
        h.StateOf(id).Should().Be(LifecycleStates.AwaitingApproval);
        h.Instance(id)!.History[^1].Detail.Should().Be("approval refused: Trainer@Test produced this version (four-eyes)");
        (await h.CountSent<DeployModel>(m => m.ModelVersionId == id)).Should().Be(0);
    }

    [Fact]
    public async Task Should_let_the_producer_approve_where_four_eyes_is_off()
    {
        var (h, id) = await Awaiting(Policy(fourEyes: false));
        await using var _ = h;

        await h.Publish(new ApproveModel { ModelVersionId = id, Reason = "solo team", ApprovedBy = "trainer@test" });

        (await h.InState(id, h.Machine.Deployed)).Should().BeTrue($"it is {h.StateOf(id)}");
    }

    [Fact]
    public async Task Should_reject_with_the_operators_reason()
    {
        var (h, id) = await Awaiting(Policy());
        await using var _ = h;

        await h.Publish(new RejectModel { ModelVersionId = id, Reason = "bias on class 7", RejectedBy = "apikey:bob" });

        (await h.InState(id, h.Machine.Rejected)).Should().BeTrue($"it is {h.StateOf(id)}");
        h.Instance(id)!.Reason.Should().Be("rejected by apikey:bob: bias on class 7");
        (await h.CountPublished<ModelRejected>(m => m.ModelVersionId == id && m.Reason == "rejected by apikey:bob: bias on class 7")).Should().Be(1);
        (await h.CountSent<DeployModel>(m => m.ModelVersionId == id)).Should().Be(0);
    }

    [Fact]
    public async Task Should_reject_when_nobody_decides_in_time()
    {
        var (h, id) = await Awaiting(Policy(TimeSpan.FromSeconds(2)));
        await using var _ = h;

        (await h.InState(id, h.Machine.Rejected)).Should().BeTrue($"it is {h.StateOf(id)}");
        await h.Harness.InactivityTask; // the state is set before the record is appended: read the record once the saga is done
        h.Instance(id)!.Reason.Should().StartWith("approval expired: no operator decided within 00:00:02");
        h.Instance(id)!.History[^1].Actor.Should().Be(ModelLifecycleStateMachine.SystemActor);

        await h.Publish(new ApproveModel { ModelVersionId = id, Reason = "too late", ApprovedBy = "apikey:alice" });
        (await Poll.Until(() => h.Harness.Published.Snapshot<ApprovalRefused>().Any(x => x.Context.Message.ModelVersionId == id
            && x.Context.Message.Reason.Contains("not awaiting approval", StringComparison.Ordinal)))).Should().BeTrue("a late approval is refused");
        h.StateOf(id).Should().Be(LifecycleStates.Rejected);
    }

    [Fact]
    public async Task Should_deploy_at_once_where_the_policy_wants_no_human()
    {
        await using var h = await LifecycleHarness.Start();
        var id = await h.Deploy("digits", "1", 0.97);

        h.Instance(id)!.History.Should().NotContain(r => r.State == LifecycleStates.AwaitingApproval);
    }
}
