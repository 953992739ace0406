using Microsoft.Extensions.Configuration;

namespace Bus.Persistence;

/// <summary>
/// Where a host keeps its state. The pipeline database holds the saga state, the inbox and the outbox: SQLite under the
/// data directory by default, PostgreSQL when <c>Bus:Persistence:ConnectionString</c> names a Host (several hosts sharing
/// one pipeline). The model registry lives with the pipeline when that is PostgreSQL, so deployment hosts on several
/// machines share one alias and one revision sequence; on SQLite it is a file beside the pipeline's.
/// <c>Bus:Registry:ConnectionString</c> overrides both. The hosts and the CLI resolve them here, so both find the same files.
/// </summary>
public sealed record PipelineDatabases(string Pipeline, string Registry)
{
    public const string PipelineKey = "Bus:Persistence:ConnectionString";
    public const string RegistryKey = "Bus:Registry:ConnectionString";
    public const string DataDirectoryKey = "Bus:Host:DataDirectory";

    /// <summary>The hosts' data directory when <c>Bus:Host:DataDirectory</c> is not set (relative to the working directory).</summary>
    public const string DefaultDataDirectory = ".bus";

    /// <summary>The data directory the configuration names, or the default.</summary>
    public static string DataDirectoryOf(IConfiguration configuration) =>
        configuration[DataDirectoryKey] is { Length: > 0 } data ? data : DefaultDataDirectory;

    /// <summary>A SQLite file path or a full connection string (anything with '=' in it), as operators type it.</summary>
    public static string ConnectionStringFor(string pathOrConnectionString) =>
        pathOrConnectionString.Contains('=', StringComparison.Ordinal) ? pathOrConnectionString : $"Data Source={pathOrConnectionString}";

    public static PipelineDatabases From(IConfiguration configuration, string? dataDirectory = null)
    {
        dataDirectory ??= DataDirectoryOf(configuration);
        var pipeline = configuration[PipelineKey] is { Length: > 0 } configured ? configured : $"Data Source={Path.Combine(dataDirectory, "bus.db")}";
        var registry = configuration[RegistryKey] is { Length: > 0 } named ? named
            : SqlDialect.For(pipeline).Name == "postgresql" ? pipeline
            : $"Data Source={Path.Combine(dataDirectory, "registry.db")}";
        return new PipelineDatabases(pipeline, registry);
    }
}
