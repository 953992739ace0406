using System.Text.Json;
using System.Text.RegularExpressions;

namespace Bus.Topology.Iam;

/// <summary>
/// A small evaluator for identity policies made of Allow statements: <c>Action</c> and <c>Resource</c> (a string or a
/// list), with IAM's wildcards <c>*</c> (any run of characters) and <c>?</c> (one character); actions compare without
/// regard to case, ARNs with it. Everything else IAM knows (Deny, NotAction, NotResource, Condition, Principal,
/// policy variables) is refused rather than ignored, so a policy it cannot judge never passes.
/// </summary>
public sealed class IamEvaluator
{
    readonly List<(string Sid, Regex[] Actions, Regex[] Resources, string[] ActionText, string[] ResourceText)> _statements = [];

    IamEvaluator()
    {
    }

    public static IamEvaluator Parse(string policyJson)
    {
        var evaluator = new IamEvaluator();
        using var document = JsonDocument.Parse(policyJson);
        if (!document.RootElement.TryGetProperty("Statement", out var statements))
            throw new NotSupportedException("the policy has no Statement");
        var list = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements];
        foreach (var statement in list)
        {
            foreach (var property in statement.EnumerateObject())
            {
                if (property.Name is not ("Sid" or "Effect" or "Action" or "Resource"))
                    throw new NotSupportedException($"statement element {property.Name} is outside what this evaluator judges");
            }

            if (statement.GetProperty("Effect").GetString() != "Allow")
                throw new NotSupportedException("only Allow statements are judged");
            var actions = Strings(statement.GetProperty("Action"));
            var resources = Strings(statement.GetProperty("Resource"));
            if (resources.Any(r => r.Contains("${", StringComparison.Ordinal)))
                throw new NotSupportedException("policy variables are outside what this evaluator judges");
            evaluator._statements.Add((statement.TryGetProperty("Sid", out var sid) ? sid.GetString() ?? "" : "",
                actions.Select(a => Glob(a, ignoreCase: true)).ToArray(), resources.Select(r => Glob(r, ignoreCase: false)).ToArray(), actions, resources));
        }

        return evaluator;
    }

    /// <summary>Whether some statement allows <paramref name="action"/> (<c>sqs:SendMessage</c>) on <paramref name="resource"/> (an ARN or <c>*</c>).</summary>
    public bool Allows(string action, string resource) =>
        _statements.Any(s => s.Actions.Any(a => a.IsMatch(action)) && s.Resources.Any(r => r.IsMatch(resource)));

    /// <summary>Every (statement, action, resource) the policy grants, as written.</summary>
    public IEnumerable<(string Sid, string Action, string Resource)> Grants() =>
        _statements.SelectMany(s => s.ActionText.SelectMany(a => s.ResourceText.Select(r => (s.Sid, a, r))));

    /// <summary>Whether a written grant covers a needed permission: the same action (or a pattern of it) and a resource its pattern matches.</summary>
    public static bool Covers(string grantedAction, string grantedResource, string action, string resource) =>
        Glob(grantedAction, ignoreCase: true).IsMatch(action) && Glob(grantedResource, ignoreCase: false).IsMatch(resource);

    static string[] Strings(JsonElement element) => element.ValueKind == JsonValueKind.Array
        ? element.EnumerateArray().Select(e => e.GetString() ?? "").ToArray()
        : [element.GetString() ?? ""];

    static Regex Glob(string pattern, bool ignoreCase) =>
        new("^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$",
            (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None) | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}
