using Bus.Contracts;
using Bus.Testing;

namespace Bus.Pipeline.Tests;

public class When_training_completes
{
    [Fact]
    public async Task Should_request_evaluation_of_the_announced_artifact()
    {
        await using var h = await LifecycleHarness.Start();
        var announcement = LifecycleHarness.Announcement("digits", "7");
        var id = ModelVersionKey.For("digits", "7");

        await h.Publish(announcement);

        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
        var sent = (await h.Harness.Sent.ExactlyOne<EvaluateModel>()).Context;
        sent.DestinationAddress!.AbsolutePath.Should().EndWith("evaluate-model");
        sent.Message.ModelVersionId.Should().Be(id);
        sent.Message.Artifact.Uri.Should().Be(announcement.ArtifactUri);
        sent.Message.Artifact.Sha256.Should().Be(announcement.ArtifactSha256);
        sent.Message.ValidationSetUri.Should().Be(announcement.ValidationSetUri);
        sent.Message.Attempt.Should().Be(1);
    }

    [Fact]
    public async Task Should_record_who_produced_it_and_which_artifact()
    {
        await using var h = await LifecycleHarness.Start();
        var id = ModelVersionKey.For("digits", "1");
        await h.Publish(LifecycleHarness.Announcement("digits", "1"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();

        var instance = h.Instance(id)!;
        instance.Producer.Should().Be("trainer@test");
        instance.Artifact!.Format.Should().Be(ArtifactFormats.TfjsLayers);
        var entry = instance.History.Should().ContainSingle().Subject;
        entry.State.Should().Be(LifecycleStates.Evaluating);
        entry.Event.Should().Be("TrainingCompleted");
        entry.Actor.Should().Be("trainer@test");
        entry.ArtifactSha256.Should().Be(new string('a', 64));
        entry.MessageId.Should().NotBeNull();
        entry.Detail.Should().Contain("s3://models/digits/1/model.json");
    }
}

public class When_the_same_version_is_announced_twice
{
    [Fact]
    public async Task Should_join_one_instance_and_request_evaluation_once()
    {
        await using var h = await LifecycleHarness.Start();
        var id = ModelVersionKey.For("digits", "3");

        await h.Publish(LifecycleHarness.Announcement("digits", "3"));
        (await h.InState(id, h.Machine.Evaluating)).Should().BeTrue();
        await h.Publish(LifecycleHarness.Announcement("digits", "3"));

        (await h.CountSent<EvaluateModel>(m => m.ModelVersionId == id)).Should().Be(1);
        h.Saga.Sagas.Snapshot(x => x.CorrelationId == id).Should().ContainSingle();
        h.Instance(id)!.History.Should().ContainSingle();
    }
}

public class When_an_announcement_is_invalid
{
    [Fact]
    public async Task Should_fail_the_version_with_the_reason_and_request_nothing()
    {
        await using var h = await LifecycleHarness.Start();
        var id = ModelVersionKey.For("digits", "9");

        await h.Publish(LifecycleHarness.Announcement("digits", "9") with { ArtifactFormat = "pickle", ArtifactSha256 = "abc" });

        (await h.InState(id, h.Machine.Failed)).Should().BeTrue();
        h.Instance(id)!.Reason.Should().Contain("artifactFormat").And.Contain("pickle").And.Contain("artifactSha256");
        (await h.CountSent<EvaluateModel>(_ => true)).Should().Be(0);
    }
}

/// <summary>The saga and `bus publish` refuse with one set of rules (AnnouncementRules): the saga's reason is the rules' words.</summary>
public class When_an_announcement_breaks_one_rule
{
    public static TheoryData<string, string> Broken() => new()
    {
        { "bucket-only", "artifactUri must be s3://bucket/key" },
        { "key-missing", "artifactUri must be s3://bucket/key" },
        { "http-validation", "validationSetUri must be s3://bucket/key" },
        { "file-dataset", "datasetUri must be s3://bucket/key" },
        { "short-sha", "artifactSha256 must be 64 hex digits" },
    };

    static TrainingCompleted Break(TrainingCompleted good, string how) => how switch
    {
        "bucket-only" => good with { ArtifactUri = "s3://models" },
        "key-missing" => good with { ArtifactUri = "s3://models/" },
        "http-validation" => good with { ValidationSetUri = "http://example.test/v.json" },
        "file-dataset" => good with { DatasetUri = "file:///data" },
        "short-sha" => good with { ArtifactSha256 = "abc" },
        _ => throw new ArgumentOutOfRangeException(nameof(how)),
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public async Task Should_fail_the_version_with_the_rule_bus_publish_names(string how, string rule)
    {
        var announcement = Break(LifecycleHarness.Announcement("digits", "9"), how);
        AnnouncementRules.Validate(LifecycleHarness.Announcement("digits", "9")).Should().BeNull("the unbroken announcement is fine");
        var expected = AnnouncementRules.Validate(announcement);
        expected.Should().Contain(rule);

        await using var h = await LifecycleHarness.Start();
        var id = ModelVersionKey.For("digits", "9");
        await h.Publish(announcement);

        (await h.InState(id, h.Machine.Failed)).Should().BeTrue();
        h.Instance(id)!.Reason.Should().Be($"invalid training-complete: {expected}");
        (await h.CountSent<EvaluateModel>(_ => true)).Should().Be(0);
    }
}

public class When_two_versions_of_one_model_are_announced
{
    [Fact]
    public async Task Should_track_them_as_separate_instances()
    {
        await using var h = await LifecycleHarness.Start();
        await h.Publish(LifecycleHarness.Announcement("digits", "1"));
        await h.Publish(LifecycleHarness.Announcement("digits", "2"));

        (await h.InState(ModelVersionKey.For("digits", "1"), h.Machine.Evaluating)).Should().BeTrue();
        (await h.InState(ModelVersionKey.For("digits", "2"), h.Machine.Evaluating)).Should().BeTrue();
        ModelVersionKey.For("digits", "1").Should().NotBe(ModelVersionKey.For("digits", "2"));
    }
}

public class When_an_announcement_names_a_model_outside_the_naming_rule
{
    [Theory]
    [InlineData("digits/9", "1")]
    [InlineData("digits", "9/1")]
    public async Task Should_create_no_version_and_fail_the_message_with_the_rule(string model, string version)
    {
        await using var h = await LifecycleHarness.Start();

        await h.Publish(LifecycleHarness.Announcement(model, version));

        (await Poll.Until(() => h.Harness.Consumed.Snapshot<TrainingCompleted>(x => x.Exception is not null).Any())).Should().BeTrue();
        var consumed = h.Harness.Consumed.Snapshot<TrainingCompleted>(x => x.Exception is not null).First();
        consumed.Exception!.ToString().Should().Contain(ModelVersionKey.Rule);
        h.Harness.Sent.Snapshot<EvaluateModel>().Should().BeEmpty();
    }

    [Fact]
    public async Task Should_leave_a_valid_version_of_the_same_spelling_untouched()
    {
        await using var h = await LifecycleHarness.Start();
        await h.Publish(LifecycleHarness.Announcement("digits/9", "1"));
        (await Poll.Until(() => h.Harness.Consumed.Snapshot<TrainingCompleted>(x => x.Exception is not null).Any())).Should().BeTrue();

        await h.Publish(LifecycleHarness.Announcement("digits", "9"));

        (await h.InState(ModelVersionKey.For("digits", "9"), h.Machine.Evaluating)).Should().BeTrue();
    }
}
