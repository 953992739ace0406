namespace Bus.Tooling;

/// <summary>Runs one of the Node scripts in tools/ with the pinned Node 22 and returns its stdout.</summary>
public static class NodeScript
{
    public static Task<string> RunAsync(string script, params string[] arguments) => RunAsync(script, null, arguments);

    /// <summary>The same, with more environment (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> for the training job's spans, say).</summary>
    public static async Task<string> RunAsync(string script, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var node = await NodeTools.EnsureInstalledAsync();
        return await Processes.RunCheckedAsync(node, [Path.Combine(RepositoryPaths.Tools, script), .. arguments], TimeSpan.FromMinutes(5),
            RepositoryPaths.Tools, environment);
    }
}
