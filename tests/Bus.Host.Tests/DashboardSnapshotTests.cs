using System.Text.Json;
using System.Text.RegularExpressions;
using Bus.Contracts;
using Bus.Host.Apis;
using Bus.Pipeline;

namespace Bus.Host.Tests;

/// <summary>The dashboard's snapshot is a typed record: its JSON is the shape dashboard.js reads, name for name.</summary>
public class The_dashboard_snapshot
{
    static JsonElement Serialized()
    {
        var transition = new TransitionRecord
        {
            FromState = "Evaluating",
            State = "Deployed",
            Event = "ModelDeployed",
            At = DateTimeOffset.UnixEpoch,
            Actor = "deployer",
            ActorKind = "message",
            Reasons = "passed",
            Detail = "serving",
            TraceId = "0af7651916cd43dd8448eb211c80319c",
        };
        var snapshot = new DashboardSnapshot(DateTimeOffset.UnixEpoch, "http://viewer/{traceId}",
            [
                new("digits", "2", new Dictionary<string, MetricThreshold> { ["accuracy"] = new() { Min = 0.9 } }, true,
                [
                    new("2", "Deployed", null, new Dictionary<string, double> { ["accuracy"] = 0.95 }, [[1, 0], [0, 1]], "1", "trainer",
                        "s3://bus-models/digits/2/model.json", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 3, [transition]),
                ]),
            ],
            [new("model-lifecycle", 1, 2, 3, 4.5)],
            [new("evaluate-model", 0, 1, null, 0)]);
        return JsonSerializer.SerializeToElement(snapshot, new JsonSerializerOptions(JsonSerializerDefaults.Web));
    }

    static string Script() => File.ReadAllText(Path.Combine(Tooling.RepositoryPaths.Root, "src", "Bus.Host", "Dashboard", "dashboard.js"));

    [Fact]
    public void Should_carry_every_field_dashboard_js_reads()
    {
        var json = Serialized();
        var model = json.GetProperty("models")[0];
        var version = model.GetProperty("versions")[0];
        var step = version.GetProperty("timeline")[0];
        var script = Script();

        // Each object as the script names it: the snapshot, a model, a version (v), a timeline step (t), a queue (q).
        foreach (var (name, element) in new[] { ("snapshot", json), ("model", model), ("v", version), ("version", version),
            ("q", json.GetProperty("queues")[0]) })
        {
            foreach (var member in Members(script, name))
            {
                var found = element.TryGetProperty(member, out _)
                    || (name == "q" && json.GetProperty("pipelineQueues")[0].TryGetProperty(member, out _));
                found.Should().BeTrue($"dashboard.js reads {name}.{member}, which the snapshot must carry");
            }
        }

        step.GetProperty("fromState").GetString().Should().Be("Evaluating");
        step.GetProperty("traceId").GetString().Should().Be("0af7651916cd43dd8448eb211c80319c");
        script.Should().Contain("t.fromState", "the timeline shows the saga's own transition records");
        version.GetProperty("confusionMatrix")[1][1].GetInt32().Should().Be(1);
        json.GetProperty("pipelineQueues")[0].GetProperty("skipped").ValueKind.Should().Be(JsonValueKind.Null);
        json.GetProperty("queues")[0].GetProperty("oldestAge").GetDouble().Should().Be(4.5);
    }

    /// <summary>The members the script reads of a variable: <c>name.member</c> and <c>name.member?.</c>.</summary>
    static IEnumerable<string> Members(string script, string name) =>
        Regex.Matches(script, $@"(?<![\w.]){Regex.Escape(name)}\??\.(\w+)").Select(m => m.Groups[1].Value)
            .Where(m => m is not ("length" or "toFixed" or "slice" or "flatMap" or "find" or "map" or "filter"))
            .Distinct();
}
