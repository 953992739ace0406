using System.CommandLine;
using Bus.Topology.Iam;
using Microsoft.Extensions.Configuration;

namespace Bus.Cli;

/// <summary>
/// What `bus iam-policy` and `bus topology export` generate from: the account, the hosts' settings
/// (<c>--config appsettings.json</c> and <c>Bus__…</c> variables) and the serving hosts' names, beside the AWS endpoint options.
/// </summary>
sealed class IamSettingsOptions
{
    readonly AwsEndpointOptions _aws = new();

    readonly Option<string?> _account = new("--account")
    {
        Description = "the AWS account of the queues and topics (default: Bus__Aws__AccountId)",
        HelpName = "id",
    };

    readonly Option<FileInfo?> _config = new("--config")
    {
        Description = "the hosts' settings (appsettings.json shape) with Bus:Evaluation and Bus:Tagging locations and Bus:Host:Name",
        HelpName = "file",
    };

    readonly Option<string[]> _hostNames = new("--host-name")
    {
        Description = "the Bus:Host:Name of each serving or deployment host (each has a queue of its own; default: the configured name)",
        HelpName = "name",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_account);
        command.Options.Add(_config);
        command.Options.Add(_hostNames);
        _aws.AddTo(command);
    }

    public IamSettings Settings(ParseResult result)
    {
        var configuration = new ConfigurationBuilder().AddConfiguration(CliEnvironment.Configuration);
        if (result.GetValue(_config) is { } file)
        {
            if (!file.Exists)
                throw new UsageException($"--config {file.FullName} does not exist");
            configuration.AddJsonFile(file.FullName, optional: false);
        }

        var built = configuration.Build();
        var id = result.GetValue(_account) is { Length: > 0 } given ? given
            : built["Bus:Aws:AccountId"] is { Length: > 0 } configured ? configured
            : throw new UsageException("--account is required (or Bus__Aws__AccountId): policies name exact ARNs, which hold the account");
        if (id.Length != 12 || !id.All(char.IsAsciiDigit))
            throw new UsageException($"--account takes a 12-digit AWS account id, not '{id}'");
        var settings = IamSettings.From(built, id, _aws.Region(result), _aws.Scope(result));
        return result.GetValue(_hostNames) is { Length: > 0 } names ? settings with { HostNames = names } : settings;
    }
}
