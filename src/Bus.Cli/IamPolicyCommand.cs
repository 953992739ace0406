using System.CommandLine;
using Bus.Topology.Iam;
using Bus.Transport.AmazonSqs.Diagnostics;
using Microsoft.Extensions.Configuration;

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
        var account = new Option<string?>("--account")
        {
            Description = "the AWS account of the queues and topics (default: Bus__Aws__AccountId)",
            HelpName = "id",
        };
        var config = new Option<FileInfo?>("--config")
        {
            Description = "the hosts' settings (appsettings.json shape) with Bus:Evaluation and Bus:Tagging locations and Bus:Host:Name",
            HelpName = "file",
        };
        var hostNames = new Option<string[]>("--host-name")
        {
            Description = "the Bus:Host:Name of each serving or deployment host (each has a queue of its own; default: the configured name)",
            HelpName = "name",
            AllowMultipleArgumentsPerToken = false,
        };
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
        var aws = new AwsEndpointOptions();
        var command = new Command("iam-policy", "the least-privilege IAM policy of a role (producer, each stage, operator), from the topology the " +
            "hosts create; " +
            "exact actions on exact ARNs")
        {
            role, account, config, hostNames, provisioned, explain, check,
        };
        aws.AddTo(command);
        command.SetAction(result =>
        {
            var configuration = new ConfigurationBuilder().AddConfiguration(CliEnvironment.Configuration);
            if (result.GetValue(config) is { } file)
            {
                if (!file.Exists)
                    throw new UsageException($"--config {file.FullName} does not exist");
                configuration.AddJsonFile(file.FullName, optional: false);
            }

            var built = configuration.Build();
            var id = result.GetValue(account) is { Length: > 0 } given ? given
                : built["Bus:Aws:AccountId"] is { Length: > 0 } configured ? configured
                : throw new UsageException("--account is required (or Bus__Aws__AccountId): policies name exact ARNs, which hold the account");
            if (id.Length != 12 || !id.All(char.IsAsciiDigit))
                throw new UsageException($"--account takes a 12-digit AWS account id, not '{id}'");
            var settings = IamSettings.From(built, id, aws.Region(result), aws.Scope(result)) with { Provisioned = result.GetValue(provisioned) };
            if (result.GetValue(hostNames) is { Length: > 0 } names)
                settings = settings with { HostNames = names };
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
