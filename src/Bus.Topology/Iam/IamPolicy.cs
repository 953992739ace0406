using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bus.Topology.Iam;

/// <summary>A role's generated identity policy: Allow statements only, exact actions on exact ARNs (IAM wildcards only inside an ARN's name).</summary>
public sealed record IamPolicy(string Role, IReadOnlyList<IamStatement> Statements)
{
    /// <summary>The policy document, as IAM takes it (each statement's <see cref="IamStatement.When"/> shows in <c>--explain</c> only).</summary>
    public string ToJson() => new JsonObject
    {
        ["Version"] = "2012-10-17",
        ["Statement"] = new JsonArray(Statements.Select(s => (JsonNode)new JsonObject
        {
            ["Sid"] = s.Sid,
            ["Effect"] = "Allow",
            ["Action"] = new JsonArray(s.Actions.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
            ["Resource"] = new JsonArray(s.Resources.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
        }).ToArray()),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
