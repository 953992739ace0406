using System.CommandLine;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Bus.Transport.AmazonSqs;

namespace Bus.Cli;

/// <summary>
/// <c>--service-url</c>, <c>--scope</c> and <c>--region</c>: where SNS/SQS are, for the commands that talk to them,
/// falling back to the hosts' <c>Bus__Aws__*</c> settings. Credentials come from the AWS SDK's usual chain.
/// </summary>
sealed class AwsEndpointOptions
{
    readonly Option<Uri?> _serviceUrl = new("--service-url")
    {
        Description = "the SNS/SQS endpoint, for an emulator or a VPC endpoint (default: Bus__Aws__ServiceUrl, else AWS's endpoint for the region)",
        HelpName = "url",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                return uri;
            result.AddError($"--service-url takes an absolute http(s) URL, not '{text}'");
            return null;
        },
    };

    readonly Option<string?> _scope = new("--scope")
    {
        Description = "the prefix of this pipeline's topic and queue names (default: Bus__Aws__Scope)",
        HelpName = "scope",
    };

    readonly Option<string?> _region = new("--region")
    {
        Description = "the AWS region (default: Bus__Aws__Region, else us-east-1)",
        HelpName = "region",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_serviceUrl);
        command.Options.Add(_scope);
        command.Options.Add(_region);
    }

    public string Region(ParseResult result) =>
        result.GetValue(_region) is { Length: > 0 } region ? region
        : CliEnvironment.Configuration["Bus:Aws:Region"] is { Length: > 0 } configured ? configured
        : "us-east-1";

    public Uri? ServiceUrl(ParseResult result) =>
        result.GetValue(_serviceUrl) is { } given ? given
        : CliEnvironment.Configuration["Bus:Aws:ServiceUrl"] is { Length: > 0 } url
            ? Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : throw new UsageException($"Bus__Aws__ServiceUrl '{url}' is not an absolute URL")
            : null;

    public string? Scope(ParseResult result) =>
        result.GetValue(_scope) is { Length: > 0 } scope ? scope
        : CliEnvironment.Configuration["Bus:Aws:Scope"] is { Length: > 0 } configured ? configured
        : null;

    /// <summary>The transport's settings for these options, with the SDK's credentials (a failure to find any is exit 1).</summary>
    public AmazonSqsHostSettings Settings(ParseResult result, bool createEntities) => new()
    {
        Region = Region(result),
        ServiceUrl = ServiceUrl(result),
        Scope = Scope(result),
        Credentials = Credentials(),
        CreateEntities = createEntities && ConfiguredCreateEntities,
        AccountId = ConfiguredAccountId,
    };

    /// <summary>
    /// False under <c>Bus__Aws__CreateEntities=false</c>, as on the hosts: infrastructure as code made the topics and queues
    /// (`bus topology export`), so no command creates one; with <c>Bus__Aws__AccountId</c> topic ARNs are built, not looked up.
    /// </summary>
    public static bool ConfiguredCreateEntities =>
        CliEnvironment.Configuration["Bus:Aws:CreateEntities"] is not { Length: > 0 } text ? true
        : bool.TryParse(text, out var create) ? create
        : throw new UsageException($"Bus__Aws__CreateEntities takes true or false, not '{text}'");

    public static string? ConfiguredAccountId => CliEnvironment.Configuration["Bus:Aws:AccountId"] is { Length: > 0 } id ? id : null;

    /// <summary>An S3 client for these options (path-style addressing at an emulator or VPC endpoint, as the hosts' artifact store).</summary>
    public IAmazonS3 S3(ParseResult result)
    {
        var serviceUrl = ServiceUrl(result);
        var config = new AmazonS3Config { ForcePathStyle = serviceUrl is not null, MaxErrorRetry = 3 };
        if (serviceUrl is null)
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(Region(result));
        else
        {
            config.ServiceURL = serviceUrl.ToString();
            config.AuthenticationRegion = Region(result);
        }

        return new AmazonS3Client(Credentials(), config);
    }

    static AWSCredentials Credentials()
    {
        try
        {
            return DefaultAWSCredentialsIdentityResolver.GetCredentials();
        }
        catch (AmazonClientException ex)
        {
            throw new CommandException($"no AWS credentials: {ex.Message}");
        }
    }
}
