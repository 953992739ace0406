using Bus.Contracts;
using Bus.Testing;
using MassTransit;

namespace Bus.Pipeline.Tests;

public class When_a_new_champion_is_deployed
{
    [Fact]
    public async Task Should_supersede_the_previous_champion()
    {
        await using var h = await LifecycleHarness.Start();
        var v1 = await h.Deploy("digits", "1", 0.93);
        var v2 = await h.Deploy("digits", "2", 0.95);

        (await h.InState(v1, h.Machine.Superseded)).Should().BeTrue();
        h.Instance(v2)!.PreviousChampionId.Should().Be(v1);
        var superseded = (await h.Harness.Published.ExactlyOne<ModelSuperseded>()).Context.Message;
        superseded.ModelVersionId.Should().Be(v1);
        superseded.SupersededByVersion.Should().Be("2");
        h.Instance(v1)!.History[^1].Detail.Should().Contain("superseded by 2");
        h.Instance(v1)!.History.Select(x => x.Event).Should().Equal([nameof(TrainingCompleted), nameof(ModelEvaluated), nameof(ModelDeployed),
            nameof(ModelSuperseded)], "each transition is recorded with the name of the message that caused it");
    }

    [Fact]
    public async Task Should_leave_exactly_one_champion_per_model_name()
    {
        await using var h = await LifecycleHarness.Start();
        await h.Deploy("digits", "1", 0.91);
        await h.Deploy("digits", "2", 0.92);
        var v3 = await h.Deploy("digits", "3", 0.93);
        var other = await h.Deploy("iris", "1", 0.96);
        await h.Harness.InactivityTask;

        var champions = h.Saga.Sagas.Snapshot(x => x.CurrentState == LifecycleStates.Deployed).Select(x => x.Saga).ToList();
        champions.Where(x => x.ModelName == "digits").Select(x => x.CorrelationId).Should().Equal(v3);
        champions.Where(x => x.ModelName == "iris").Select(x => x.CorrelationId).Should().Equal(other);
    }
}

public class When_deployment_events_arrive_out_of_order
{
    [Fact]
    public async Task Should_not_bring_a_superseded_version_back()
    {
        await using var h = await LifecycleHarness.Start(deploymentHost: false);
        var id = ModelVersionKey.For("digits", "1");
        await h.Publish(LifecycleHarness.Announcement("digits", "1"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "1", 0.95));
        (await h.InState(id, h.Machine.Approved)).Should().BeTrue();

        // Version 2 took the alias at revision 2 and its saga told version 1, before version 1's own
        // ModelDeployed (revision 1) was delivered.
        var servedFrom = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        var servedUntil = servedFrom.AddMinutes(3);
        await h.Publish(new ModelSuperseded
        {
            ModelVersionId = id,
            ModelName = "digits",
            ModelVersion = "1",
            SupersededById = ModelVersionKey.For("digits", "2"),
            SupersededByVersion = "2",
            AliasRevision = 2,
            ServedFrom = servedFrom,
            SupersededAt = servedUntil,
        });
        (await h.InState(id, h.Machine.Superseded)).Should().BeTrue();
        var served = h.Instance(id)!.History.Single(r => r.State == LifecycleStates.Deployed);
        (served.AliasRevision, served.ServedFrom, served.ServedUntil).Should().Be(((long?)1, (DateTimeOffset?)servedFrom, (DateTimeOffset?)servedUntil),
            "the version served at revision 1 from its revision's time until the next one, though its own ModelDeployed came later");

        await h.Publish(new ModelDeployed { ModelVersionId = id, ModelName = "digits", ModelVersion = "1", AliasRevision = 1 });
        (await Poll.Until(() => h.Harness.Consumed.Snapshot<ModelDeployed>(x => x.Context.Message.ModelVersionId == id).Any())).Should().BeTrue();
        await h.Harness.InactivityTask;

        h.StateOf(id).Should().Be(LifecycleStates.Superseded);
        h.Harness.Published.Snapshot<Fault<ModelDeployed>>().Should().BeEmpty("a stale confirmation is expected news, not an error");
    }

    [Fact]
    public async Task Should_still_retire_the_old_champion_when_the_newest_confirmation_overtakes_the_middle_one()
    {
        await using var h = await LifecycleHarness.Start(deploymentHost: false);
        var ids = new Dictionary<string, Guid>();
        foreach (var version in new[] { "1", "2", "3" })
        {
            var id = ids[version] = ModelVersionKey.For("digits", version);
            await h.Publish(LifecycleHarness.Announcement("digits", version));
            (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
            await h.Publish(LifecycleHarness.Evaluation(id, "digits", version, 0.95));
            (await h.InState(id, h.Machine.Approved)).Should().BeTrue();
        }

        // The registry moved the alias 1 (rev 1), 2 (rev 2, replacing 1), 3 (rev 3, replacing 2); two hosts deliver
        // the confirmations, and 3's overtakes 2's.
        ModelDeployed Deployed(string version, long revision, string? previous = null) => new()
        {
            ModelVersionId = ids[version],
            ModelName = "digits",
            ModelVersion = version,
            AliasRevision = revision,
            PreviousModelVersionId = previous is null ? null : ids[previous],
            PreviousModelVersion = previous,
        };
        await h.Publish(Deployed("1", 1));
        (await h.InState(ids["1"], h.Machine.Deployed)).Should().BeTrue();
        await h.Publish(Deployed("3", 3, previous: "2"));
        (await h.InState(ids["2"], h.Machine.Superseded)).Should().BeTrue();
        await h.Publish(Deployed("2", 2, previous: "1"));

        (await h.InState(ids["1"], h.Machine.Superseded)).Should().BeTrue("version 2's late confirmation still retires version 1");
        h.StateOf(ids["2"]).Should().Be(LifecycleStates.Superseded);
        h.StateOf(ids["3"]).Should().Be(LifecycleStates.Deployed);
    }

    [Fact]
    public async Task Should_ignore_redelivered_confirmations_and_supersessions_of_the_champion()
    {
        await using var h = await LifecycleHarness.Start();
        var v1 = await h.Deploy("digits", "1", 0.93);
        var v2 = await h.Deploy("digits", "2", 0.95);
        (await h.InState(v1, h.Machine.Superseded)).Should().BeTrue();
        var revision = h.Instance(v2)!.AliasRevision;

        // An at-least-once bus after a host crash: v2's confirmation again, v1's again, and v1's supersession of
        // an older champion (revision 1) delivered to v2.
        await h.Publish(new ModelDeployed { ModelVersionId = v2, ModelName = "digits", ModelVersion = "2", AliasRevision = revision });
        await h.Publish(new ModelDeployed { ModelVersionId = v1, ModelName = "digits", ModelVersion = "1", AliasRevision = 1 });
        await h.Publish(new ModelSuperseded
        {
            ModelVersionId = v2,
            ModelName = "digits",
            ModelVersion = "2",
            SupersededById = v1,
            SupersededByVersion = "1",
            AliasRevision = revision,
        });
        await h.Harness.InactivityTask;

        h.StateOf(v2).Should().Be(LifecycleStates.Deployed);
        h.StateOf(v1).Should().Be(LifecycleStates.Superseded);
        h.Instance(v2)!.History.Count(x => x.State == LifecycleStates.Deployed).Should().Be(1);
        h.Harness.Published.Snapshot<Fault<ModelDeployed>>().Should().BeEmpty();
        h.Harness.Published.Snapshot<Fault<ModelSuperseded>>().Should().BeEmpty();
    }
}

public class When_a_rollback_is_requested
{
    [Fact]
    public async Task Should_restore_the_previous_champion_and_mark_the_version_rolled_back()
    {
        await using var h = await LifecycleHarness.Start();
        var v1 = await h.Deploy("digits", "1", 0.93);
        var v2 = await h.Deploy("digits", "2", 0.95);
        (await h.InState(v1, h.Machine.Superseded)).Should().BeTrue();

        await h.Publish(new RollbackModel { ModelVersionId = v2, Reason = "latency regression", RequestedBy = "oncall@test" });

        (await h.InState(v2, h.Machine.RolledBack)).Should().BeTrue();
        (await h.InState(v1, h.Machine.Deployed)).Should().BeTrue();
        h.Deployments.Champion("digits").Should().Be(v1);
        var rolledBack = (await h.Harness.Published.ExactlyOne<ModelRolledBack>()).Context.Message;
        rolledBack.RestoredModelVersion.Should().Be("1");
        rolledBack.RequestedBy.Should().Be("oncall@test");
        h.Instance(v2)!.Reason.Should().Be("rolled back: latency regression");
        h.Harness.Sent.Snapshot<DeployModel>().Should().Contain(x => x.Context.Message.ModelVersionId == v1
            && x.Context.Message.Reason == DeploymentReason.Rollback);
        h.Instance(v1)!.PreviousChampionId.Should().BeNull("the restored champion keeps its own predecessor, not the rolled-back version");
    }

    [Fact]
    public async Task Should_refuse_when_there_is_no_previous_champion()
    {
        await using var h = await LifecycleHarness.Start();
        var v1 = await h.Deploy("digits", "1", 0.93);

        await h.Publish(new RollbackModel { ModelVersionId = v1, Reason = "test", RequestedBy = "oncall@test" });

        (await Poll.Until(() => h.Harness.Published.Snapshot<RollbackRejected>(x => x.Context.Message.ModelVersionId == v1).Any())).Should().BeTrue();
        await h.Harness.InactivityTask;
        h.StateOf(v1).Should().Be(LifecycleStates.Deployed);
        (await h.Harness.Published.ExactlyOne<RollbackRejected>()).Context.Message.Reason.Should().Contain("no previous champion");
    }

    [Fact]
    public async Task Should_refuse_for_a_version_that_is_not_the_champion()
    {
        await using var h = await LifecycleHarness.Start();
        var v1 = await h.Deploy("digits", "1", 0.93);
        await h.Deploy("digits", "2", 0.95);
        (await h.InState(v1, h.Machine.Superseded)).Should().BeTrue();

        await h.Publish(new RollbackModel { ModelVersionId = v1, Reason = "wrong one", RequestedBy = "oncall@test" });

        (await Poll.Until(() => h.Harness.Published.Snapshot<RollbackRejected>(x => x.Context.Message.ModelVersionId == v1).Any())).Should().BeTrue();
        (await h.Harness.Published.ExactlyOne<RollbackRejected>()).Context.Message.Reason.Should().Contain("Superseded");
    }

    [Fact]
    public async Task Should_keep_the_version_deployed_when_restoring_fails()
    {
        await using var h = await LifecycleHarness.Start();
        var v1 = await h.Deploy("digits", "1", 0.93);
        var v2 = await h.Deploy("digits", "2", 0.95);
        h.Deployments.FailingVersions.Add("1");

        await h.Publish(new RollbackModel { ModelVersionId = v2, Reason = "test", RequestedBy = "oncall@test" });

        (await Poll.Until(() => h.Harness.Consumed.Snapshot<RollbackRejected>(x => x.Context.Message.ModelVersionId == v2).Any())).Should().BeTrue();
        (await h.InState(v2, h.Machine.Deployed)).Should().BeTrue();
        (await h.InState(v1, h.Machine.Superseded)).Should().BeTrue();
        h.Deployments.Champion("digits").Should().Be(v2);
        h.Instance(v2)!.History[^1].Detail.Should().Contain("rollback failed");
    }

    [Fact]
    public async Task Should_answer_an_unknown_version_with_a_rejection()
    {
        await using var h = await LifecycleHarness.Start();
        var unknown = Guid.NewGuid();

        await h.Publish(new RollbackModel { ModelVersionId = unknown, Reason = "test", RequestedBy = "oncall@test" });

        (await Poll.Until(() => h.Harness.Published.Snapshot<RollbackRejected>(x => x.Context.Message.ModelVersionId == unknown
            && x.Context.Message.Reason == "no such model version").Any())).Should().BeTrue();
    }
}

public class When_the_status_of_a_version_is_asked
{
    [Fact]
    public async Task Should_answer_with_its_state_and_full_history()
    {
        await using var h = await LifecycleHarness.Start();
        var v1 = await h.Deploy("digits", "1", 0.93);
        var client = h.Harness.GetRequestClient<GetModelVersionStatus>();

        var response = await client.GetResponse<ModelVersionStatus, ModelVersionNotFound>(new GetModelVersionStatus { ModelVersionId = v1 });

        response.Is(out Response<ModelVersionStatus>? status).Should().BeTrue();
        status!.Message.State.Should().Be(LifecycleStates.Deployed);
        status.Message.History.Select(x => x.State).Should().Equal(LifecycleStates.Evaluating, LifecycleStates.Approved, LifecycleStates.Deployed);
        status.Message.History.Select(x => x.Actor).Should().Equal("trainer@test", "evaluator@test", "deployer@test");
        status.Message.History.Should().OnlyContain(x => x.MessageId != null && x.ArtifactSha256 == new string('a', 64));
        status.Message.History.Should().BeInAscendingOrder(x => x.At);
        status.Message.Metrics["accuracy"].Should().Be(0.93);
    }

    [Fact]
    public async Task Should_say_not_found_for_an_unknown_version()
    {
        await using var h = await LifecycleHarness.Start();
        var client = h.Harness.GetRequestClient<GetModelVersionStatus>();
        var id = Guid.NewGuid();

        var response = await client.GetResponse<ModelVersionStatus, ModelVersionNotFound>(new GetModelVersionStatus { ModelVersionId = id });

        response.Is(out Response<ModelVersionNotFound>? notFound).Should().BeTrue();
        notFound!.Message.ModelVersionId.Should().Be(id);
    }
}

public class When_a_version_moves_through_the_pipeline
{
    [Fact]
    public async Task Should_measure_the_time_from_training_complete_to_each_state()
    {
        var measured = new System.Collections.Concurrent.ConcurrentBag<(double Seconds, string? Model, string? State)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineMetrics.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var all = tags.ToArray();
            measured.Add((value, all.Single(t => t.Key == "bus.model.name").Value as string, all.Single(t => t.Key == "bus.state").Value as string));
        });
        listener.Start();

        await using var h = await LifecycleHarness.Start();
        var model = "latency-" + Guid.NewGuid().ToString("N")[..6];
        await h.Deploy(model, "1", 0.93);

        var states = measured.Where(m => m.Model == model).ToList();
        states.Select(m => m.State).Should().Contain([LifecycleStates.Evaluating, LifecycleStates.Approved, LifecycleStates.Deployed]);
        states.Should().OnlyContain(m => m.Seconds >= 0 && m.Seconds < 60);
        states.Single(m => m.State == LifecycleStates.Deployed).Seconds
            .Should().BeGreaterThanOrEqualTo(states.Single(m => m.State == LifecycleStates.Evaluating).Seconds, "deployment comes after evaluation");
    }
}

public class When_the_champion_could_not_be_measured
{
    [Fact]
    public async Task Should_judge_the_candidate_on_the_absolute_thresholds_and_say_so_in_the_record()
    {
        await using var h = await LifecycleHarness.Start(deploymentHost: false);
        var id = ModelVersionKey.For("digits", "2");
        await h.Publish(LifecycleHarness.Announcement("digits", "2"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        await h.Publish(LifecycleHarness.Evaluation(id, "digits", "2", 0.95) with
        {
            ChampionProblem = "the champion 1's artifact cannot be used: artifact integrity: sha256 of s3://m/digits/1/model.json is 00, " +
                "the announcement says ff",
        });

        (await h.InState(id, h.Machine.Approved)).Should().BeTrue();
        h.Instance(id)!.History[^1].Detail.Should().Contain("the champion 1's artifact cannot be used")
            .And.Contain("judged on its own, against the absolute thresholds only").And.NotContain("no champion yet");
    }
}
