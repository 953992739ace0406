using Microsoft.Extensions.Configuration;

namespace Bus.Cli;

/// <summary>
/// The settings the hosts read from the environment (<c>Bus__Persistence__ConnectionString</c>, <c>Bus__Aws__ServiceUrl</c>,
/// ...): what an option falls back to when it is not given, so the CLI finds the pipeline the hosts on this machine use.
/// </summary>
static class CliEnvironment
{
    public static IConfiguration Configuration { get; } = new ConfigurationBuilder().AddEnvironmentVariables().Build();
}
