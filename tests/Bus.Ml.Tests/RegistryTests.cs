namespace Bus.Ml.Tests;

public class When_the_production_alias_moves
{
    static readonly ArtifactReference Artifact = new("s3://models/digits/1/model.json", "tfjs-layers", new string('a', 64));

    [Fact]
    public void Should_count_revisions_report_the_previous_champion_and_survive_a_restart()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bus-registry-{Guid.NewGuid():N}", "registry.db");
        var v1 = Guid.NewGuid();
        var v2 = Guid.NewGuid();

        var registry = new ModelRegistry(path);
        var first = registry.Promote("digits", v1, "1", Artifact, new Dictionary<string, double> { ["accuracy"] = 0.95 }, "promotion");
        var second = registry.Promote("digits", v2, "2", Artifact with { Uri = "s3://models/digits/2/model.json" }, new Dictionary<string, double>(), "promotion");
        var again = registry.Promote("digits", v2, "2", Artifact, new Dictionary<string, double>(), "promotion");

        first.Current.Revision.Should().Be(1);
        first.PreviousId.Should().BeNull();
        second.Current.Revision.Should().Be(2);
        second.PreviousId.Should().Be(v1);
        second.PreviousVersion.Should().Be("1");
        again.AlreadyCurrent.Should().BeTrue("a redelivered deployment changes nothing");
        again.Current.Revision.Should().Be(2);
        again.PreviousId.Should().Be(v1);

        var reopened = new ModelRegistry(path).Champion("digits")!;
        reopened.ModelVersionId.Should().Be(v2);
        reopened.Artifact.Uri.Should().EndWith("/2/model.json");
        new ModelRegistry(path).Champion("iris").Should().BeNull();
    }
}
