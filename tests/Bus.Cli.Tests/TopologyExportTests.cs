using System.Text.Json.Nodes;
using Bus.Tooling;
using Bus.Topology.Iam;
using Microsoft.Extensions.Configuration;

namespace Bus.Cli.Tests;

/// <summary>`bus topology export --format cloudformation`: a template CloudFormation can resolve, whose topic policies name the right roles.</summary>
public class When_the_topology_is_exported_as_cloudformation
{
    static async Task<(int Code, JsonObject? Resources, string Error)> Export(params string[] extra)
    {
        var file = Path.Combine(Path.GetTempPath(), $"bus-template-{Guid.NewGuid():N}.json");
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var code = await BusCommandLine.RunAsync(["topology", "export", "--account", "123456789012", "--scope", "prod", "--region", "eu-west-1",
                "--out", file, .. extra], output, error, default);
            var resources = File.Exists(file) ? JsonNode.Parse(await File.ReadAllTextAsync(file))!["Resources"]!.AsObject() : null;
            return (code, resources, error.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    static IEnumerable<JsonNode> Descendants(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Descendants(p.Value)).Prepend(o),
        JsonArray a => a.SelectMany(Descendants).Prepend(a),
        null => [],
        _ => [node],
    };

    static JsonObject TopicPolicyOf(JsonObject resources, string topicName)
    {
        var topicId = resources.Single(r => r.Value!["Type"]!.GetValue<string>() == "AWS::SNS::Topic"
            && r.Value["Properties"]!["TopicName"]!.GetValue<string>() == topicName).Key;
        var policy = resources.Single(r => r.Value!["Type"]!.GetValue<string>() == "AWS::SNS::TopicPolicy"
            && r.Value["Properties"]!["Topics"]![0]!["Ref"]!.GetValue<string>() == topicId).Value!;
        return policy["Properties"]!["PolicyDocument"]!["Statement"]![0]!.AsObject();
    }

    [Fact]
    public async Task Should_refer_only_to_resources_the_template_defines()
    {
        var (code, resources, error) = await Export();
        code.Should().Be(BusCommandLine.Done, error);
        var references = Descendants(resources).OfType<JsonObject>()
            .Select(o => o["Ref"]?.GetValue<string>() ?? (o["Fn::GetAtt"] is JsonArray att ? att[0]!.GetValue<string>() : null))
            .OfType<string>().ToList();
        references.Should().NotBeEmpty();
        references.Should().OnlyContain(r => resources!.ContainsKey(r), "every Ref and Fn::GetAtt names a resource of the template");
        resources!.Select(r => r.Key).Should().OnlyContain(id => id.All(char.IsAsciiLetterOrDigit), "logical ids are alphanumeric");
    }

    [Fact]
    public async Task Should_let_only_producers_publish_the_announcement_and_nobody_publish_a_topic_without_publishers()
    {
        var (_, resources, _) = await Export("--role-arn", "producer=arn:aws:iam::123456789012:role/training-jobs");
        var announcement = TopicPolicyOf(resources!, "prod-training-complete");
        announcement["Effect"]!.GetValue<string>().Should().Be("Deny");
        announcement["Condition"]!["ArnNotEquals"]!["aws:PrincipalArn"]!.AsArray().Select(a => a!.GetValue<string>())
            .Should().Equal(["arn:aws:iam::123456789012:role/training-jobs"], "only the producers' role may announce a model");

        var deployed = TopicPolicyOf(resources!, "prod-model-deployed");
        deployed["Condition"]!["ArnNotEquals"]!["aws:PrincipalArn"]!.AsArray().Select(a => a!.GetValue<string>())
            .Should().Equal(["arn:aws:iam::123456789012:role/prod-bus-deployment"], "only the deployment role publishes its stage's event");

        var scheduled = TopicPolicyOf(resources!, "prod-Bus-Pipeline-StageTimedOut");
        scheduled["Sid"]!.GetValue<string>().Should().Be("NobodyPublishes");
        scheduled.ContainsKey("Condition").Should().BeFalse("a scheduled message is sent to the saga's queue, never published");
    }

    [Theory]
    [InlineData("nobody=arn:aws:iam::123456789012:role/x", "ROLE one of")]
    [InlineData("producer=training-jobs", "takes an IAM role ARN")]
    [InlineData("producer", "ROLE one of")]
    public async Task Should_exit_2_for_a_role_arn_it_cannot_use(string roleArn, string reason)
    {
        var (code, resources, error) = await Export("--role-arn", roleArn);
        code.Should().Be(BusCommandLine.Usage);
        error.Should().Contain(reason);
        resources.Should().BeNull("nothing is written");
    }
}

/// <summary>docs/iam-demo-policies.md is what `bus iam-policy` prints for the demo's topology today (tools/iam-docs rewrites it).</summary>
public class When_the_documented_policies_are_read
{
    [Fact]
    public void Should_be_the_policies_generated_for_the_demo_topology()
    {
        var docs = Path.Combine(RepositoryPaths.Root, "docs");
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(docs, "iam-demo-settings.json"), optional: false).Build();
        var settings = IamSettings.From(configuration, "123456789012", "us-east-1", "demo");
        var text = File.ReadAllText(Path.Combine(docs, "iam-demo-policies.md"));
        var sections = text.Split("\n## ")[1..];
        sections.Select(s => s[..s.IndexOf('\n', StringComparison.Ordinal)]).Should().Equal(RolePolicies.Roles, "one section per role");
        foreach (var section in sections)
        {
            var role = section[..section.IndexOf('\n', StringComparison.Ordinal)];
            var start = section.IndexOf("```json\n", StringComparison.Ordinal) + "```json\n".Length;
            var documented = section[start..section.IndexOf("\n```", start, StringComparison.Ordinal)];
            documented.Should().Be(RolePolicies.For(role, settings).ToJson().ReplaceLineEndings("\n").TrimEnd(),
                $"docs/iam-demo-policies.md shows {role}'s policy as generated today; run tools/iam-docs after changing the topology");
        }
    }
}
