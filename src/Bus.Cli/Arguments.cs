using Microsoft.Extensions.Configuration;

namespace Bus.Cli;

/// <summary>A usage error: the command line is wrong (exit 2), as opposed to a refusal or a failure (exit 1).</summary>
sealed class UsageException(string message) : Exception(message);

/// <summary>A refusal or failure the operator must read (exit 1): unknown version, wrong state, unreachable database.</summary>
sealed class CommandException(string message) : Exception(message);

/// <summary>
/// One command line: positional words and <c>--name value</c> options (flags without a value: <c>--json</c>). Settings
/// fall back to the environment the hosts read (<c>Bus__Persistence__ConnectionString</c>, <c>Bus__Aws__ServiceUrl</c>,
/// ...), so the CLI finds the pipeline the hosts on this machine use.
/// </summary>
sealed class Arguments
{
    static readonly HashSet<string> Flags = ["json", "redrive"];
    readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    readonly IConfiguration _environment = new ConfigurationBuilder().AddEnvironmentVariables().Build();

    public Arguments(IEnumerable<string> args, IReadOnlySet<string> known)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                Positional.Add(arg);
                continue;
            }

            var name = arg[2..];
            if (!known.Contains(name))
                throw new UsageException($"unknown option --{name}");
            if (Flags.Contains(name))
            {
                _options[name] = "true";
                continue;
            }

            if (i + 1 >= list.Count || list[i + 1].StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"--{name} needs a value");
            _options[name] = list[++i];
        }
    }

    public List<string> Positional { get; } = [];

    public string? Option(string name) => _options.GetValueOrDefault(name);

    public bool Flag(string name) => _options.ContainsKey(name);

    public string Required(string name, string why) =>
        Option(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : throw new UsageException($"--{name} is required: {why}");

    /// <summary>The pipeline database: --db, else Bus:Persistence:ConnectionString, else the host's default SQLite file.</summary>
    public string ConnectionString =>
        Option("db") is { Length: > 0 } db ? db.Contains('=', StringComparison.Ordinal) ? db : $"Data Source={db}"
        : _environment["Bus:Persistence:ConnectionString"] is { Length: > 0 } configured ? configured
        : $"Data Source={Path.Combine(_environment["Bus:Host:DataDirectory"] is { Length: > 0 } data ? data : ".bus", "bus.db")}";

    public string Region => Option("region") ?? _environment["Bus:Aws:Region"] ?? "us-east-1";

    public Uri? ServiceUrl =>
        (Option("service-url") ?? _environment["Bus:Aws:ServiceUrl"]) is { Length: > 0 } url
            ? Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : throw new UsageException($"the service URL '{url}' is not an absolute URL")
            : null;

    /// <summary>Where SNS/SQS are and who asks (the AWS SDK's credential chain), for commands that talk to them directly.</summary>
    public Bus.Transport.AmazonSqs.AmazonSqsHostSettings Aws(bool createEntities)
    {
        Amazon.Runtime.AWSCredentials credentials;
        try
        {
            credentials = Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentials();
        }
        catch (Amazon.Runtime.AmazonClientException ex)
        {
            throw new CommandException($"no AWS credentials: {ex.Message}");
        }

        return new Bus.Transport.AmazonSqs.AmazonSqsHostSettings
        {
            Region = Region,
            ServiceUrl = ServiceUrl,
            Scope = Scope,
            Credentials = credentials,
            CreateEntities = createEntities
        };
    }

    public string? Scope => Option("scope") ?? (_environment["Bus:Aws:Scope"] is { Length: > 0 } scope ? scope : null);

    public TimeSpan Wait =>
        Option("wait") is { } text
            ? int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(seconds)
                : throw new UsageException($"--wait takes whole seconds, not '{text}'")
            : TimeSpan.FromSeconds(60);
}
