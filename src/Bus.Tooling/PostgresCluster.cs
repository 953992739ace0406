using System.Diagnostics;

namespace Bus.Tooling;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb in a temp folder owned by the postgres user (initdb refuses root),
/// a free port on 127.0.0.1, trust authentication for local tests only, stopped by the postmaster's PID.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    readonly string _directory;
    readonly int _port;

    PostgresCluster(string directory, int port)
    {
        _directory = directory;
        _port = port;
    }

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=20";

    public static async Task<PostgresCluster> StartAsync()
    {
        var bin = await BinDirectory();
        var directory = Path.Combine(Path.GetTempPath(), "bus-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
            await Run("chown", "-R", "postgres:postgres", directory);
        var data = Path.Combine(directory, "data");
        await RunAs(asRoot, Path.Combine(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        return await Processes.OnFreePortAsync(async port =>
        {
            var cluster = new PostgresCluster(directory, port);
            await cluster.StartAgainAsync();
            return cluster;
        });
    }

    /// <summary>Starts the stopped cluster again, on the same port with the same data.</summary>
    public async Task StartAgainAsync() =>
        await RunAs(Environment.UserName == "root", Path.Combine(await BinDirectory(), "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-l",
            Path.Combine(_directory, "log"),
            "-w", "-t", "60", "-o", $"-p {_port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", "start");

    /// <summary>Stops the server (fast shutdown: open connections are cut), keeping its data for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync() =>
        await RunAs(Environment.UserName == "root", Path.Combine(await BinDirectory(), "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-m", "fast", "-w",
            "-t", "60", "stop");

    static async Task<string> BinDirectory()
    {
        try
        {
            var bin = (await Run("pg_config", "--bindir")).Trim();
            if (File.Exists(Path.Combine(bin, "initdb")))
                return bin;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }

        return Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")).FirstOrDefault(d =>
            File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL's server (initdb, pg_ctl) is not installed: apt-get install postgresql");
    }

    static Task<string> RunAs(bool asRoot, string program, params string[] arguments) =>
        asRoot ? Run("runuser", ["-u", "postgres", "--", program, .. arguments]) : Run(program, arguments);

    static Task<string> Run(string program, params string[] arguments) => Processes.RunCheckedAsync(program, arguments, TimeSpan.FromMinutes(2));


    public async ValueTask DisposeAsync()
    {
        var pidFile = Path.Combine(_directory, "data", "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse((await File.ReadAllLinesAsync(pidFile))[0], out var pid))
        {
            try
            {
                using var postmaster = Process.GetProcessById(pid);
                // SIGINT is PostgreSQL's fast shutdown: SIGTERM (smart) would wait for the test process's pooled connections.
                await Processes.StopGracefullyAsync(postmaster, TimeSpan.FromSeconds(30), "INT");
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
