using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Bus.Tooling;

/// <summary>Small process and port helpers shared by the CLI, the benchmarks and the test fixtures.</summary>
public static class Processes
{
    /// <summary>A port on 127.0.0.1 that is free right now.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The newest build of a project's assembly under its bin folder (Debug or Release).</summary>
    public static string BuiltAssembly(string projectFolder, string assemblyFile)
    {
        var bin = Path.Combine(RepositoryPaths.Root, projectFolder, "bin");
        var candidates = Directory.Exists(bin) ? Directory.GetFiles(bin, assemblyFile, SearchOption.AllDirectories) : [];
        return candidates.OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            ?? throw new InvalidOperationException($"{assemblyFile} is not built: run `dotnet build {projectFolder}`");
    }

    /// <summary>Sends SIGTERM to the PID (a graceful stop), waits, and kills the process tree if it is still running.</summary>
    public static async Task StopGracefullyAsync(Process process, TimeSpan timeout)
    {
        if (process.HasExited)
            return;
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            if (term is not null)
                await term.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
