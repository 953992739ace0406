using System.CommandLine;
using Bus.Topology;
using Bus.Topology.Iam;

namespace Bus.Cli.Topology;

/// <summary>
/// `bus topology export --format cloudformation`: the template of everything the hosts would create (topics, queues with
/// their failure queues, subscriptions, queue and topic policies, one managed policy per role), for teams that provision
/// with infrastructure as code and run hosts with <c>Bus:Aws:CreateEntities=false</c> and <c>Bus:Aws:AccountId</c>.
/// Made from the stages' topology; it reads nothing from AWS.
/// </summary>
static class TopologyExportCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format")
        {
            Description = "the template's format (cloudformation: a CloudFormation JSON template)",
            HelpName = "format",
            DefaultValueFactory = _ => "cloudformation",
        };
        format.AcceptOnlyFromAmong("cloudformation");
        var roleArns = new Option<string[]>("--role-arn")
        {
            Description = "ROLE=ARN: the IAM role a Bus role runs as, named in the topic policies " +
                "(default arn:aws:iam::ACCOUNT:role/SCOPE-bus-ROLE); repeat for each role",
            HelpName = "role=arn",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<FileInfo?>("--out") { Description = "write the template to this file instead of standard output", HelpName = "file" };
        var generated = new IamSettingsOptions();
        var command = new Command("export", "a CloudFormation template of the topics, queues, subscriptions, queue and topic policies and the " +
            "roles' managed policies the hosts need, for hosts run with Bus:Aws:CreateEntities=false")
        {
            format, roleArns, output,
        };
        generated.AddTo(command);
        command.SetAction(result =>
        {
            var settings = generated.Settings(result);
            var template = CloudFormationTemplate.Create(settings, RoleArns(result.GetValue(roleArns) ?? []));
            if (result.GetValue(output) is { } file)
                File.WriteAllText(file.FullName, template + Environment.NewLine);
            else
                Console.WriteLine(template);
            return BusCommandLine.Done;
        });
        return command;
    }

    static Dictionary<string, string> RoleArns(string[] values)
    {
        var arns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var split = value.IndexOf('=', StringComparison.Ordinal);
            var role = split > 0 ? value[..split] : "";
            var arn = split > 0 ? value[(split + 1)..] : "";
            if (!RolePolicies.Roles.Contains(role))
                throw new UsageException($"--role-arn takes ROLE=ARN with ROLE one of {string.Join(", ", RolePolicies.Roles)}, not '{value}'");
            if (!arn.StartsWith("arn:", StringComparison.Ordinal) || !arn.Contains(":iam::", StringComparison.Ordinal))
                throw new UsageException($"--role-arn {role}= takes an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), not '{arn}'");
            if (!arns.TryAdd(role, arn))
                throw new UsageException($"--role-arn names {role} twice");
        }

        return arns;
    }
}
