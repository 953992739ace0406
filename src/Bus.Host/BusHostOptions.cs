using Bus.Persistence;

namespace Bus.Host;

/// <summary>Configuration section <c>Bus:Host</c>: which stages this process runs.</summary>
public sealed class BusHostOptions
{
    public const string SectionName = "Bus:Host";

    /// <summary>
    /// Names from <see cref="Stages.PipelineStages"/>: lifecycle, evaluation, deployment (which also serves), serving (an
    /// inference replica that follows the production alias), tagging; none given means all of them (one process runs everything).
    /// </summary>
    public string[] Stages { get; set; } = [];

    /// <summary>Name in the audit trail and traces.</summary>
    public string Name { get; set; } = "bus-host";

    /// <summary>Where the model registry (SQLite) lives.</summary>
    public string DataDirectory { get; set; } = PipelineDatabases.DefaultDataDirectory;
}
