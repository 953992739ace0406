using System.CommandLine;
using Bus.Topology.Iam;
using Bus.Transport.AmazonSqs.Diagnostics;

namespace Bus.Cli;

/// <summary>
/// `bus iam-policy --role ROLE`: the least-privilege identity policy of one role, made from the topology the hosts create
/// (<see cref="RolePolicies"/>) and the hosts' S3 settings (<c>--config appsettings.json</c> and <c>Bus__…</c> variables).
/// With <c>--check calls.jsonl</c> (a log a host or the CLI writes with <c>Bus__Aws__CallLog</c>) it judges the policy
/// against what the role really did: every call allowed, every required grant used.
/// </summary>
static class IamPolicyCommand
{
    public static Command Create()
    {
        var role = new Option<string>("--role")
        {
            Description = $"(required) the role: {string.Join(", ", RolePolicies.Roles)}",
            HelpName = "role",
            Required = true,
        };
        role.AcceptOnlyFromAmong([.. RolePolicies.Roles]);
        var generated = new IamSettingsOptions();
        var provisioned = new Option<bool>("--provisioned")
        {
            Description = "hosts run with Bus:Aws:CreateEntities=false and Bus:Aws:AccountId (infrastructure made by `bus topology export`): " +
                "no create, subscribe or queue-policy rights",
        };
        var explain = new Option<bool>("--explain") { Description = "list each statement with when it is needed instead of printing the policy" };
        var check = new Option<FileInfo?>("--check")
        {
            Description = "judge the policy against a call log (Bus__Aws__CallLog): exit 1 on a denied call or an unused grant",
            HelpName = "calls.jsonl",
        };
        var command = new Command("iam-policy", "the least-privilege IAM policy of a role (producer, each stage, operator), from the topology the " +
            "hosts create; " +
            "exact actions on exact ARNs")
        {
            role, provisioned, explain, check,
        };
        generated.AddTo(command);
        command.SetAction(result =>
        {
            var settings = generated.Settings(result) with { Provisioned = result.GetValue(provisioned) };
            var policy = RolePolicies.For(result.GetRequiredValue(role), settings);

            if (result.GetValue(check) is { } calls)
                return Check(policy, calls, settings);
            if (result.GetValue(explain))
            {
                TextTable.Write(["STATEMENT", "ACTIONS", "RESOURCES", "NEEDED"],
                    policy.Statements.Select(s => (string[])[s.Sid, string.Join(" ", s.Actions), string.Join(" ", s.Resources), s.When ?? "always"]),
                    leftColumns: 4);
                return BusCommandLine.Done;
            }

            Console.WriteLine(policy.ToJson());
            return BusCommandLine.Done;
        });
        return command;
    }

    static int Check(IamPolicy policy, FileInfo calls, IamSettings settings)
    {
        if (!calls.Exists)
            throw new UsageException($"--check {calls.FullName} does not exist");
        var check = PolicyCheck.Run(policy, AwsCallLog.Read(calls.FullName), settings.Account, settings.Region);
        foreach (var (action, resource) in check.Denied)
            Console.WriteLine($"denied: {action} on {resource}");
        foreach (var (sid, action, resource) in check.Unused)
            Console.WriteLine($"unused: {action} on {resource} ({sid}, marked as always needed)");
        foreach (var (sid, action, resource) in check.UsedOptional)
            Console.WriteLine($"used when needed: {action} on {resource} ({sid})");
        Console.WriteLine(check.Passed
            ? $"{policy.Role}: every call allowed, every required grant used"
            : $"{policy.Role}: {check.Denied.Count} denied call(s), {check.Unused.Count} unused grant(s)");
        return check.Passed ? BusCommandLine.Done : BusCommandLine.Failed;
    }
}
