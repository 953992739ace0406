using Bus.Transport.AmazonSqs.Diagnostics;

namespace Bus.Topology.Iam;

/// <summary>
/// A role's recorded calls against its generated policy: the calls the policy denies, and the required grants (action on
/// resource) no call used. Both empty: the policy allows what the role did and nothing it did not need.
/// </summary>
public sealed record PolicyCheck(IReadOnlyList<(string Action, string Resource)> Denied, IReadOnlyList<(string Sid, string Action, string Resource)> Unused,
    IReadOnlyList<(string Sid, string Action, string Resource)> UsedOptional)
{
    public bool Passed => Denied.Count == 0 && Unused.Count == 0;

    public static PolicyCheck Run(IamPolicy policy, IEnumerable<AwsCall> calls, string account, string region)
    {
        var evaluator = IamEvaluator.Parse(policy.ToJson());
        var needed = calls.Select(c => AwsCallPermissions.Of(c, account, region)).Distinct().ToList();
        var denied = needed.Where(n => !evaluator.Allows(n.Action, n.Resource)).ToList();
        bool Used(string action, string resource) => needed.Any(n => IamEvaluator.Covers(action, resource, n.Action, n.Resource));
        var unused = policy.Statements.Where(s => s.Required)
            .SelectMany(s => s.Actions.SelectMany(a => s.Resources.Select(r => (s.Sid, Action: a, Resource: r))))
            .Where(g => !Used(g.Action, g.Resource)).ToList();
        var usedOptional = policy.Statements.Where(s => !s.Required)
            .SelectMany(s => s.Actions.SelectMany(a => s.Resources.Select(r => (s.Sid, Action: a, Resource: r))))
            .Where(g => Used(g.Action, g.Resource)).ToList();
        return new PolicyCheck(denied, unused, usedOptional);
    }
}
