namespace Bus.Tooling;

/// <summary>Runs one of the Node scripts in tools/ with the pinned Node 22 and returns its stdout.</summary>
public static class NodeScript
{
    public static async Task<string> RunAsync(string script, params string[] arguments)
    {
        var node = await NodeTools.EnsureInstalledAsync();
        return await Processes.RunCheckedAsync(node, [Path.Combine(RepositoryPaths.Tools, script), .. arguments], TimeSpan.FromMinutes(5),
            RepositoryPaths.Tools);
    }
}
