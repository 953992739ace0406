using System.Diagnostics;
namespace Bus.Tooling;

/// <summary>A Bus.Host process on a loopback port, started with its stages and stopped by PID.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly List<string> _log = [];

    HostProcess(string name, Process process, Uri url)
    {
        Name = name;
        _process = process;
        Url = url;
    }

    public string Name { get; }
    public Uri Url { get; }
    public int Pid => _process.Id;

    public static string HostAssembly() => Processes.BuiltAssembly(Path.Combine("src", "Bus.Host"), "Bus.Host.dll");

    /// <summary>Starts a host and waits until it is ready (or, with <paramref name="untilLive"/>, only until it answers: a host expected to be
    /// unhealthy).</summary>
    /// <param name="workingDirectory">Where it is started (the repository root by default).</param>
    /// <param name="ownLogging">Log as the host's own appsettings.json says, instead of the tests' Warning (Bus: Information).</param>
    public static Task<HostProcess> StartAsync(string name, IEnumerable<string> stages, IReadOnlyDictionary<string, string> settings,
        CancellationToken cancellationToken,
        bool untilLive = false, string? workingDirectory = null, bool ownLogging = false) =>
        Processes.OnFreePortAsync(port => StartAsync(port, name, stages.ToList(), settings, untilLive, workingDirectory ?? RepositoryPaths.Root, ownLogging,
            cancellationToken));

    static async Task<HostProcess> StartAsync(int port, string name, IReadOnlyList<string> stages, IReadOnlyDictionary<string, string> settings, bool untilLive,
        string workingDirectory, bool ownLogging, CancellationToken cancellationToken)
    {
        var url = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(HostAssembly());
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(url.ToString());
        start.ArgumentList.Add($"--Bus:Host:Name={name}");
        var i = 0;
        foreach (var stage in stages)
            start.ArgumentList.Add($"--Bus:Host:Stages:{i++}={stage}");
        foreach (var (key, value) in settings)
            start.ArgumentList.Add($"--{key}={value}");
        start.Environment["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        start.Environment["DOTNET_NOLOGO"] = "1";
        if (!ownLogging)
        {
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["Logging__LogLevel__Bus"] = "Information";
        }

        // The emulator accepts any credentials; these never reach AWS.
        start.Environment["AWS_ACCESS_KEY_ID"] = "demo";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "demo";

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start host {name}");
        var host = new HostProcess(name, process, url);
        process.OutputDataReceived += (_, e) => host.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => host.Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < until)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
                throw new InvalidOperationException($"host {name} exited with {process.ExitCode}:\n{host.Log}");
            try
            {
                var ready = await http.GetAsync(new Uri(url, untilLive ? "/health/live" : "/health/ready"), cancellationToken);
                if (ready.IsSuccessStatusCode)
                    return host;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(300, cancellationToken);
        }

        await host.DisposeAsync();
        throw new TimeoutException($"host {name} was not ready within 90 s:\n{host.Log}");
    }

    void Capture(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            _log.Add(line);
            if (_log.Count > 200)
                _log.RemoveAt(0);
        }
    }

    public string Log
    {
        get
        {
            lock (_log)
                return string.Join('\n', _log.TakeLast(40));
        }
    }


    /// <summary>kill -9: no graceful stop, nothing finishes; what it had in flight is redelivered to the others.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGTERM by PID, as a supervisor stops it; the exit code it ended with (killed after 20 s: 137).</summary>
    public async Task<int> TerminateAsync()
    {
        await Processes.StopGracefullyAsync(_process, TimeSpan.FromSeconds(20));
        Interlocked.Exchange(ref _disposed, 1);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        // Graceful first (SIGTERM: in-flight messages finish), by PID; killed if it takes too long.
        await Processes.StopGracefullyAsync(_process, TimeSpan.FromSeconds(20));
        _process.Dispose();
    }

    int _disposed;
}
