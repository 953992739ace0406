using Bus.Contracts;
using Bus.Pipeline.Rollout;
using Bus.Testing;

namespace Bus.Pipeline.Tests;

/// <summary>
/// A stepped rollout in the saga: the candidate is judged on what replicas report, promoted through every step or ended by
/// a guardrail while the champion keeps serving; operators steer it; reports that cannot be true are never judged.
/// </summary>
public class When_a_promoted_version_rolls_out_on_live_traffic
{
    static async Task<LifecycleHarness> Start(Action<RolloutPolicy>? configure = null) => await LifecycleHarness.Start(o =>
    {
        o.Rollout.Default = new RolloutPolicy
        {
            Mode = ResolvedRolloutPolicy.Canary,
            Steps = [10, 50],
            BakeTime = TimeSpan.Zero,
            JudgmentInterval = TimeSpan.FromSeconds(1),
            MinRequests = 10,
            FailureLimit = 2,
            StepTimeout = TimeSpan.FromMinutes(1),
        };
        configure?.Invoke(o.Rollout.Default);
    });

    /// <summary>Deploys digits 1 (the first version goes out at once: no champion to compare with), then evaluates 2 against it.</summary>
    static async Task<(Guid Champion, Guid Candidate)> Candidate(LifecycleHarness h, bool shadow = false)
    {
        var champion = await h.Deploy("digits", "1", 0.90);
        var id = ModelVersionKey.For("digits", "2");
        await h.Publish(LifecycleHarness.Announcement("digits", "2"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "2", 0.93, new ChampionReference { ModelVersionId = champion, ModelVersion = "1" }));
        (await h.InState(id, shadow ? h.Machine.Shadow : h.Machine.Canary)).Should().BeTrue($"digits 2 should begin its rollout; it is {h.StateOf(id)}");
        return (champion, id);
    }

    static VersionWindow Window(Guid id, long requests, long errors = 0, double latencyMs = 2, long[]? outputs = null)
    {
        var latency = new long[LatencyBuckets.UpperBoundsMs.Count];
        latency[LatencyBuckets.Of(latencyMs)] = requests;
        return new VersionWindow
        {
            ModelVersionId = id,
            Requests = requests,
            Errors = errors,
            Latency = latency,
            Outputs = outputs ?? [requests / 2, requests - requests / 2],
        };
    }

    static ServingReport Report(Guid candidate, Guid champion, VersionWindow c, VersionWindow h, string replica = "replica-a") => new()
    {
        CandidateVersionId = candidate,
        ModelName = "digits",
        Replica = replica,
        WindowStart = DateTimeOffset.UtcNow.AddMilliseconds(-200),
        WindowEnd = DateTimeOffset.UtcNow,
        Candidate = c with { ModelVersionId = candidate },
        Champion = h with { ModelVersionId = champion },
    };

    /// <summary>Two replicas report every 200 ms until <paramref name="done"/>.</summary>
    static async Task ReportUntil(LifecycleHarness h, Func<bool> done, Func<ServingReport[]> reports)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!done() && DateTime.UtcNow < deadline)
        {
            foreach (var report in reports())
                await h.Publish(report);
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Should_promote_a_good_candidate_through_every_step_and_then_move_the_alias()
    {
        await using var h = await Start();
        var (champion, candidate) = await Candidate(h);

        await ReportUntil(h, () => h.StateOf(candidate) == h.Machine.Deployed.Name, () =>
        [
            Report(candidate, champion, Window(candidate, 12), Window(champion, 100)),
            Report(candidate, champion, Window(candidate, 12), Window(champion, 100), "replica-b"),
        ]);

        (await h.InState(candidate, h.Machine.Deployed)).Should().BeTrue($"it is {h.StateOf(candidate)}");
        var details = h.Instance(candidate)!.History.Select(r => r.Detail ?? "").ToList();
        details.Should().Contain(d => d.StartsWith("rollout started: canary rollout 10% → 50% → 100%", StringComparison.Ordinal));
        details.Should().Contain(d => d.StartsWith("judgment 1 at 10% (", StringComparison.Ordinal) && d.Contains(": pass: error rate 0%"));
        details.Should().Contain("step 2: the candidate takes 50%");
        details.Should().Contain(d => d.StartsWith("rollout promoted", StringComparison.Ordinal));
        (await h.CountPublished<RolloutStepStarted>(m => m.ModelVersionId == candidate && m.TrafficPercent == 50)).Should().BeGreaterThan(0);
        (await h.CountPublished<RolloutEnded>(m => m.ModelVersionId == candidate && m.Outcome == RolloutOutcomes.Promoted)).Should().Be(1);
        h.StateOf(champion).Should().Be(h.Machine.Superseded.Name);
    }

    [Fact]
    public async Task Should_judge_a_shadow_candidate_on_copies_of_the_requests_and_promote_it()
    {
        await using var h = await Start(p =>
        {
            p.Mode = ResolvedRolloutPolicy.ShadowMode;
            p.ShadowPercent = 40;
        });
        var (champion, candidate) = await Candidate(h, shadow: true);

        await ReportUntil(h, () => h.StateOf(candidate) == h.Machine.Deployed.Name, () =>
            [Report(candidate, champion, Window(candidate, 40) with { Compared = 40, Agreed = 39 }, Window(champion, 100))]);

        (await h.InState(candidate, h.Machine.Deployed)).Should().BeTrue($"it is {h.StateOf(candidate)}");
        var details = h.Instance(candidate)!.History.Select(r => r.Detail ?? "").ToList();
        details.Should().Contain(d => d.StartsWith("rollout started: shadow rollout: a copy of 40% of live requests goes to the candidate",
            StringComparison.Ordinal));
        details.Should().Contain(d => d.Contains("agreement with the champion 97.5% of ", StringComparison.Ordinal));
        h.Instance(candidate)!.History.Should().Contain(r => r.State == "Shadow");
        (await h.CountPublished<RolloutStepStarted>(m => m.ModelVersionId == candidate && m.Mode == "Shadow" && m.TrafficPercent == 40))
            .Should().BeGreaterThan(0);

    }

    [Fact]
    public async Task Should_end_a_candidate_that_fails_live_with_the_guardrail_and_never_move_the_alias()
    {
        await using var h = await Start();
        var (champion, candidate) = await Candidate(h);

        await ReportUntil(h, () => h.StateOf(candidate) == h.Machine.Failed.Name, () =>
            [Report(candidate, champion, Window(candidate, 20, errors: 5), Window(champion, 180))]);

        (await h.InState(candidate, h.Machine.Failed)).Should().BeTrue($"it is {h.StateOf(candidate)}");
        h.Instance(candidate)!.Reason.Should().Match("rollout failed at 10% on live traffic: error rate 25% (≤ 2%): FAILED (2 failed judgment(s), the " +
            "limit is 2); the champion kept serving");
        (await h.CountPublished<RolloutEnded>(m => m.ModelVersionId == candidate && m.Outcome == RolloutOutcomes.Aborted)).Should().Be(1);
        (await h.CountSent<DeployModel>(m => m.ModelVersionId == candidate)).Should().Be(0, "the alias never moved to the candidate");
        h.StateOf(champion).Should().Be(h.Machine.Deployed.Name);
        h.Deployments.Champion("digits").Should().Be(champion);
    }

    [Fact]
    public async Task Should_compare_latency_and_answers_with_the_champion()
    {
        await using var h = await Start(p => p.FailureLimit = 1);
        var (champion, candidate) = await Candidate(h);

        await ReportUntil(h, () => h.StateOf(candidate) == h.Machine.Failed.Name, () =>
            [Report(candidate, champion, Window(candidate, 20, latencyMs: 40, outputs: [20, 0]), Window(champion, 180, latencyMs: 3))]);

        h.Instance(candidate)!.Reason.Should().Contain("p99 latency against the champion's ×16.67 (50 ms against 3 ms) (≤ ×2): FAILED");
        h.Instance(candidate)!.History.Select(r => r.Detail).Should().Contain(d => d!.Contains("stability of answers (PSI)"));
    }

    [Fact]
    public async Task Should_end_a_candidate_whose_live_labels_show_it_worse_beyond_the_noise()
    {
        await using var h = await Start(p => p.FailureLimit = 1);
        var (champion, candidate) = await Candidate(h);

        await ReportUntil(h, () => h.StateOf(candidate) == h.Machine.Failed.Name, () =>
            [Report(candidate, champion, Window(candidate, 20) with { Labeled = 20, Correct = 14 }, Window(champion, 80) with { Labeled = 80, Correct = 76 })]);

        h.Instance(candidate)!.Reason.Should().Contain("live accuracy below the champion's 25% (70% of ").And.Contain(": FAILED");
    }

    [Fact]
    public async Task Should_end_a_candidate_that_disagrees_with_the_champion_beyond_the_noise()
    {
        await using var h = await Start(p => p.FailureLimit = 1);
        var (champion, candidate) = await Candidate(h);

        await ReportUntil(h, () => h.StateOf(candidate) == h.Machine.Failed.Name, () =>
            [Report(candidate, champion, Window(candidate, 20) with { Compared = 20, Agreed = 12 }, Window(champion, 80))]);

        h.Instance(candidate)!.Reason.Should().Contain("agreement with the champion 60% of ").And.Contain("(≥ 90%): FAILED");
    }

    [Fact]
    public void Should_not_fail_a_candidate_on_the_noise_of_a_small_sample()
    {
        var policy = ResolvedRolloutPolicy.From(new RolloutPolicy { Mode = ResolvedRolloutPolicy.Canary, MinRequests = 10 }, new RolloutPolicy());
        RolloutTally Tally(long requests, long labeled, long correct, long compared, long agreed, double firstClass)
        {
            var tally = new RolloutTally();
            var first = (long)(requests * firstClass);
            tally.Add(Window(Guid.Empty, requests, outputs: [first, requests - first]) with
            {
                Labeled = labeled,
                Correct = correct,
                Compared = compared,
                Agreed = agreed,
            });
            return tally;
        }

        // 27 of 30 right against 29 of 30, 26 of 30 agreeing, and answers split 23/7 against 15/15 (PSI 0.32): worse on paper,
        // within the noise of 30 samples.
        var (candidate, champion) = (Tally(30, 30, 27, 30, 26, 23 / 30.0), Tally(30, 30, 29, 0, 0, 0.5));
        var judgment = RolloutJudge.Judge(policy, new RolloutJudge.Measured(candidate, champion, candidate, champion), regression: false);

        judgment.Verdict.Should().Be(RolloutJudgment.Pass, judgment.Summary);
        judgment.Checks.Select(c => c.Name).Should().Contain(["live accuracy below the champion's", "agreement with the champion",
            "stability of answers (PSI)"]);

        // The same shares on 3,000 samples are evidence.
        var (many, manyChampion) = (Tally(3000, 3000, 2700, 3000, 2600, 23 / 30.0), Tally(3000, 3000, 2900, 0, 0, 0.5));
        RolloutJudge.Judge(policy, new RolloutJudge.Measured(many, manyChampion, many, manyChampion), regression: false).Checks
            .Where(c => !c.Passed).Select(c => c.Name).Should().BeEquivalentTo(["live accuracy below the champion's", "agreement with the champion",
                "stability of answers (PSI)"]);
    }

    [Fact]
    public async Task Should_never_judge_reports_that_cannot_be_true()
    {
        await using var h = await Start(p => p.StepTimeout = TimeSpan.FromSeconds(3));
        var (champion, candidate) = await Candidate(h);

        // A report of requests with no latencies, one with more errors than requests, one for a window in the future: none counts,
        // so the candidate never has the requests a judgment needs, and the step times out.
        await ReportUntil(h, () => h.StateOf(candidate) == h.Machine.Failed.Name, () =>
        [
            Report(candidate, champion, Window(candidate, 50) with { Latency = [] }, Window(champion, 50)),
            Report(candidate, champion, Window(candidate, 50, errors: 60), Window(champion, 50)),
            Report(candidate, champion, Window(candidate, 50), Window(champion, 50)) with
            {
                WindowStart = DateTimeOffset.UtcNow.AddHours(1), WindowEnd = DateTimeOffset.UtcNow.AddHours(2),
            },
        ]);

        h.Instance(candidate)!.Reason.Should().StartWith("rollout stopped at 10%: the step did not bake within its timeout of 00:00:03");
        h.Instance(candidate)!.History.Select(r => r.Detail).Should().Contain(d => d!.Contains("waiting: 0 candidate requests of the 10"));
    }

    [Fact]
    public async Task Should_let_an_operator_pause_resume_and_abort_it()
    {
        await using var h = await Start();
        var (_, candidate) = await Candidate(h);
        RolloutCommand Command(string action) =>
            new() { ModelVersionId = candidate, Action = action, Reason = $"{action} for the test", RequestedBy = "ops@test" };

        await h.Publish(Command(RolloutActions.Pause));
        await Poll.Until(() => h.Instance(candidate)!.Rollout!.Paused, TimeSpan.FromSeconds(5));
        await h.Publish(Command(RolloutActions.Pause));
        await h.Publish(Command(RolloutActions.Resume));
        await Poll.Until(() => !h.Instance(candidate)!.Rollout!.Paused, TimeSpan.FromSeconds(5));
        await h.Publish(Command(RolloutActions.Abort));

        (await h.InState(candidate, h.Machine.Failed)).Should().BeTrue();
        h.Instance(candidate)!.Reason.Should().Be("rollout aborted by ops@test: abort for the test; the champion keeps serving");
        (await h.CountPublished<RolloutCommandRefused>(m => m.ModelVersionId == candidate && m.Reason == "the rollout is already paused")).Should().Be(1);
        var history = h.Instance(candidate)!.History;
        history.Should().Contain(r => r.Detail == "rollout paused at 10%: pause for the test" && r.Actor == "ops@test");
        history.Should().Contain(r => r.Detail == "rollout resumed at 10%: resume for the test");
    }

    [Fact]
    public async Task Should_end_a_rollout_paused_past_its_step_timeout()
    {
        await using var h = await Start(p => p.StepTimeout = TimeSpan.FromSeconds(3));
        var (champion, candidate) = await Candidate(h);

        await h.Publish(new RolloutCommand { ModelVersionId = candidate, Action = RolloutActions.Pause, Reason = "hold", RequestedBy = "ops@test" });

        (await h.InState(candidate, h.Machine.Failed)).Should().BeTrue($"it is {h.StateOf(candidate)}");
        h.Instance(candidate)!.Reason.Should().StartWith("rollout stopped at 10%: paused past the step's timeout of 00:00:03");
        h.StateOf(champion).Should().Be(h.Machine.Deployed.Name);
    }

    [Fact]
    public async Task Should_move_the_alias_when_an_operator_promotes_it()
    {
        await using var h = await Start();
        var (_, candidate) = await Candidate(h);

        await h.Publish(new RolloutCommand { ModelVersionId = candidate, Action = RolloutActions.Promote, Reason = "looks fine", RequestedBy = "ops@test" });

        (await h.InState(candidate, h.Machine.Deployed)).Should().BeTrue();
        h.Instance(candidate)!.History.Should().Contain(r => r.Detail == "rollout promoted by ops@test: looks fine" && r.State == "Approved");
    }

    [Fact]
    public async Task Should_refuse_a_rollout_command_for_a_version_that_is_not_rolling_out()
    {
        await using var h = await Start();
        var champion = await h.Deploy("digits", "1", 0.90);

        await h.Publish(new RolloutCommand { ModelVersionId = champion, Action = RolloutActions.Abort, Reason = "oops", RequestedBy = "ops@test" });
        await h.Publish(new RolloutCommand { ModelVersionId = Guid.NewGuid(), Action = RolloutActions.Abort, Reason = "oops", RequestedBy = "ops@test" });

        (await h.CountPublished<RolloutCommandRefused>(m => m.Reason == "no rollout is in progress: the version is Deployed")).Should().Be(1);
        (await h.CountPublished<RolloutCommandRefused>(m => m.Reason == "no such model version")).Should().Be(1);
        h.StateOf(champion).Should().Be(h.Machine.Deployed.Name);
    }
}
