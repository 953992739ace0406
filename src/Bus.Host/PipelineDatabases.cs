using Bus.Persistence;

namespace Bus.Host;

/// <summary>
/// Where a host keeps its state. The pipeline database holds the saga state, the inbox and the outbox: SQLite under the
/// data directory by default, PostgreSQL when <c>Bus:Persistence:ConnectionString</c> names a Host (several hosts sharing
/// one pipeline). The model registry lives with the pipeline when that is PostgreSQL, so deployment hosts on several
/// machines share one alias and one revision sequence; on SQLite it is a file beside the pipeline's.
/// <c>Bus:Registry:ConnectionString</c> overrides both.
/// </summary>
public sealed record PipelineDatabases(string Pipeline, string Registry)
{
    public const string PipelineKey = "Bus:Persistence:ConnectionString";
    public const string RegistryKey = "Bus:Registry:ConnectionString";

    public static PipelineDatabases From(IConfiguration configuration, string dataDirectory)
    {
        var pipeline = configuration[PipelineKey] is { Length: > 0 } configured ? configured : $"Data Source={Path.Combine(dataDirectory, "bus.db")}";
        var registry = configuration[RegistryKey] is { Length: > 0 } named ? named
            : SqlDialect.For(pipeline).Name == "postgresql" ? pipeline
            : $"Data Source={Path.Combine(dataDirectory, "registry.db")}";
        return new PipelineDatabases(pipeline, registry);
    }
}
