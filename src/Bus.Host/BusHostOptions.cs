namespace Bus.Host;

/// <summary>Configuration section <c>Bus:Host</c>: which stages this process runs.</summary>
public sealed class BusHostOptions
{
    public const string SectionName = "Bus:Host";
    public static readonly IReadOnlySet<string> KnownStages = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "lifecycle", "evaluation", "deployment",
        "serving", "tagging" };

    /// <summary>
    /// Any of lifecycle, evaluation, deployment (which also serves), serving (an inference replica that follows the
    /// production alias), tagging; none given means all of them (one process runs everything).
    /// </summary>
    public string[] Stages { get; set; } = [];

    /// <summary>Name in the audit trail and traces.</summary>
    public string Name { get; set; } = "bus-host";

    /// <summary>Where the model registry (SQLite) lives.</summary>
    public string DataDirectory { get; set; } = ".bus";

    public bool Runs(string stage) => Stages.Length == 0 || Stages.Contains(stage, StringComparer.OrdinalIgnoreCase);
}

/// <summary>Configuration section <c>Bus:Aws</c>. Credentials come only from the AWS SDK's chain (environment, profile, role).</summary>
public sealed class AwsOptions
{
    public const string SectionName = "Bus:Aws";
    public string Region { get; set; } = "us-east-1";

    /// <summary>Service URL of an emulator for SQS, SNS and S3; empty for AWS itself.</summary>
    public string? ServiceUrl { get; set; }

    public string? Scope { get; set; }
}
