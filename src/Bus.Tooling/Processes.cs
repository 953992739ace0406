using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Bus.Tooling;

/// <summary>Small process and port helpers shared by the CLI, the benchmarks and the test fixtures.</summary>
public static class Processes
{
    /// <summary>Runs a program to its end (bounded: killed with its children after <paramref name="timeout"/>) and captures its output.</summary>
    public static async Task<ProcessResult> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} ran longer than {timeout}");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    /// <summary>Like <see cref="RunAsync"/>, but a non-zero exit is an error carrying what the program printed; returns stdout.</summary>
    public static async Task<string> RunCheckedAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await RunAsync(program, arguments, timeout, workingDirectory, environment);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Error}{result.Output}");
        return result.Output;
    }

    static readonly HashSet<int> Handed = [];

    /// <summary>
    /// A port on 127.0.0.1 that is free right now, for a server this process is about to start. It is drawn at random
    /// below the kernel's ephemeral range: a port from that range (what binding port 0 gives) can be taken by any
    /// outgoing connection before the server binds it, which on a busy test machine happens. Never the same port twice
    /// in one process. Between the check and the bind another process can still take it: callers retry on a new port
    /// when <see cref="InUse"/> says that happened.
    /// </summary>
    public static int FreeLoopbackPort()
    {
        var (low, high) = (10_000, EphemeralLow() - 1);
        for (var attempt = 0; high - low > 1_000 && attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(low, high + 1);
            lock (Handed)
            {
                if (Handed.Contains(port) || InUse(port))
                    continue;
                Handed.Add(port);
                return port;
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether something listens on (or holds) the loopback port now.</summary>
    public static bool InUse(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }

    /// <summary>
    /// Starts a server on a fresh port from <see cref="FreeLoopbackPort"/>, trying again on another port (up to three
    /// times) when the start failed because someone else took the port in between.
    /// </summary>
    public static async Task<T> OnFreePortAsync<T>(Func<int, Task<T>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            try
            {
                return await start(port).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < 3 && ex is not OperationCanceledException && InUse(port))
            {
                Console.Error.WriteLine($"port {port} was taken while starting a server on it; trying another ({ex.GetType().Name})");
            }
        }
    }

    /// <summary>The newest build of a project's assembly under its bin folder (Debug or Release).</summary>
    public static string BuiltAssembly(string projectFolder, string assemblyFile)
    {
        var bin = Path.Combine(RepositoryPaths.Root, projectFolder, "bin");
        var candidates = Directory.Exists(bin) ? Directory.GetFiles(bin, assemblyFile, SearchOption.AllDirectories) : [];
        return candidates.OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            ?? throw new InvalidOperationException($"{assemblyFile} is not built: run `dotnet build {projectFolder}`");
    }

    /// <summary>
    /// Sends SIGTERM (or <paramref name="signal"/>) to the PID (a graceful stop), waits, and kills the process tree if it
    /// is still running.
    /// </summary>
    public static async Task StopGracefullyAsync(Process process, TimeSpan timeout, string signal = "TERM")
    {
        if (process.HasExited)
            return;
        using (var term = Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]))
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
