using System.Diagnostics;

namespace Bus.Tooling;

/// <summary>
/// The fauxqs SNS/SQS/S3 emulator as a child process on 127.0.0.1, started through tools/emulator.mjs
/// (request logging off) and stopped by its PID. A persistent one can be stopped and started again on the same
/// port with its state kept on disk, to test what happens while AWS is unreachable.
/// </summary>
/// <remarks>
/// Persistence is opt-in because fauxqs 2.4.1's SQLite store breaks <c>ChangeMessageVisibility</c> to 0 (the
/// update fails on a NOT NULL column after the message left the in-flight set, so the message vanishes from the
/// queue): with it, a consumer host's release of a faulted message, or a look at a failure queue, would lose
/// messages that real SQS keeps.
/// </remarks>
public sealed class EmulatorProcess : IAsyncDisposable
{
    Process? _process;
    readonly string? _dataDirectory;

    EmulatorProcess(int port, string? dataDirectory)
    {
        Port = port;
        _dataDirectory = dataDirectory;
    }

    public int Port { get; }
    public Uri ServiceUrl => new($"http://127.0.0.1:{Port}");
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Starts an emulator on a free loopback port (or the given one); <paramref name="persistent"/> keeps its state on
    /// disk across <see cref="StopAsync"/> and <see cref="StartAgainAsync"/> (see the remarks for what that costs).
    /// </summary>
    public static async Task<EmulatorProcess> StartAsync(int port = 0, bool persistent = false, CancellationToken cancellationToken = default)
    {
        await NodeTools.EnsureInstalledAsync(cancellationToken);
        if (port != 0)
            return await StartOnAsync(port, persistent, cancellationToken);
        return await Processes.OnFreePortAsync(free => StartOnAsync(free, persistent, cancellationToken));
    }

    static async Task<EmulatorProcess> StartOnAsync(int port, bool persistent, CancellationToken cancellationToken)
    {
        var emulator = new EmulatorProcess(port, persistent ? Directory.CreateTempSubdirectory("bus-fauxqs-").FullName : null);
        try
        {
            await emulator.StartAgainAsync(cancellationToken);
            return emulator;
        }
        catch
        {
            await emulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the process (again) on the same port; a persistent emulator comes back with its queues and messages.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
            return;

        var start = new ProcessStartInfo(NodeTools.NodePath)
        {
            WorkingDirectory = RepositoryPaths.Tools,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Tools, "emulator.mjs"));
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_dataDirectory is not null)
        {
            start.ArgumentList.Add("--data-dir");
            start.ArgumentList.Add(_dataDirectory);
        }
        // The emulator exits when our stdin closes, so a crashed test run leaves no orphan behind.
        start.Environment["FAUXQS_EXIT_ON_STDIN_CLOSE"] = "1";

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the emulator");
        _process = process;
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                {
                    await process.WaitForExitAsync(CancellationToken.None);
                    string stderr;
                    lock (errors) stderr = errors.ToString();
                    throw new InvalidOperationException($"the emulator exited with {process.ExitCode} before it was ready: {stderr}");
                }

                if (line.StartsWith("FAUXQS_READY ", StringComparison.Ordinal))
                    break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill();
            throw new TimeoutException("the emulator did not report ready within 30 s");
        }

        // Keep draining stdout so the child never blocks on a full pipe.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
    }

    /// <summary>Stops the emulator (SIGKILL by PID): connections drop at once, as when AWS becomes unreachable.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
            return;
        Kill();
        await _process.WaitForExitAsync();
    }

    void Kill()
    {
        if (_process is { HasExited: false } p)
            p.Kill(entireProcessTree: true);
    }


    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            if (_dataDirectory is not null)
                Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
