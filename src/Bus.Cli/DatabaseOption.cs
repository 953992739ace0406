using System.CommandLine;
using Bus.Persistence;

namespace Bus.Cli;

/// <summary>
/// <c>--db</c>: the pipeline database, as a SQLite file or a connection string; without it, the one the hosts would use
/// (<see cref="PipelineDatabases"/> over the environment).
/// </summary>
sealed class DatabaseOption : Option<string>
{
    public DatabaseOption()
        : base("--db")
    {
        Description = "the pipeline database: a SQLite file or a connection string (default: Bus__Persistence__ConnectionString, else bus.db in " +
            $"Bus__Host__DataDirectory, by default {PipelineDatabases.DefaultDataDirectory}, as for the hosts)";
        HelpName = "file|connection string";
        Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && string.IsNullOrWhiteSpace(value))
                result.AddError("--db takes a SQLite file or a connection string, not an empty word");
        });
    }

    public string ConnectionString(ParseResult result) =>
        result.GetValue(this) is { Length: > 0 } given
            ? PipelineDatabases.ConnectionStringFor(given)
            : PipelineDatabases.From(CliEnvironment.Configuration).Pipeline;
}
