using Bus.Stages.Evaluation;
using Bus.Stages.Tagging;
using Microsoft.Extensions.Configuration;

namespace Bus.Topology.Iam;

/// <summary>
/// What a policy is generated for: the account, region and scope of the pipeline, the serving hosts' names (each has a
/// queue of its own), whether infrastructure as code made the entities (<see cref="Provisioned"/>), and the S3 locations,
/// read from the same configuration the hosts read (<c>Bus:Evaluation</c>, <c>Bus:Tagging</c>).
/// </summary>
public sealed record IamSettings(string Account, string Region, string? Scope)
{
    /// <summary>Hosts run with <c>Bus:Aws:CreateEntities=false</c> and <c>Bus:Aws:AccountId</c>: no create, subscribe or policy rights.</summary>
    public bool Provisioned { get; init; }

    /// <summary>The <c>Bus:Host:Name</c> of each serving or deployment host (each receives on <c>serve-models-&lt;name&gt;</c>).</summary>
    public IReadOnlyList<string> HostNames { get; init; } = ["bus-host"];

    public EvaluationOptions Evaluation { get; init; } = new();
    public TaggingOptions Tagging { get; init; } = new();

    /// <summary>Where <c>bus audit anchor</c> writes anchors (s3://bucket/prefix/).</summary>
    public string AnchorLocation { get; init; } = "s3://{scope}bus-audit/anchors/";

    /// <summary>The settings from a configuration in the hosts' shape (appsettings.json, <c>Bus__…</c> variables).</summary>
    public static IamSettings From(IConfiguration configuration, string account, string region, string? scope) => new(account, region, scope)
    {
        Evaluation = configuration.GetSection(EvaluationOptions.SectionName).Get<EvaluationOptions>() ?? new EvaluationOptions(),
        Tagging = configuration.GetSection(TaggingOptions.SectionName).Get<TaggingOptions>() ?? new TaggingOptions(),
        HostNames = configuration["Bus:Host:Name"] is { Length: > 0 } name ? [name] : ["bus-host"],
    };
}
