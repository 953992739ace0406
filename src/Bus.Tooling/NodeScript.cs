using System.Diagnostics;

namespace Bus.Tooling;

/// <summary>Runs one of the Node scripts in tools/ with the pinned Node 22 and returns its stdout.</summary>
public static class NodeScript
{
    public static async Task<string> RunAsync(string script, params string[] arguments)
    {
        var node = await NodeTools.EnsureInstalledAsync();
        var start = new ProcessStartInfo(node) { WorkingDirectory = RepositoryPaths.Tools, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Tools, script));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start node {script}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} ran longer than 5 minutes");
        }

        if (process.ExitCode != 0)
            throw new InvalidOperationException($"node {script} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
