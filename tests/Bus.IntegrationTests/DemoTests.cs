using System.Diagnostics;
using Bus.Tooling;

namespace Bus.IntegrationTests;

/// <summary>The README's first command, as a new user runs it: `bus demo` must end with a deployed model, a prediction and a rejection.</summary>
public class When_a_new_user_runs_bus_demo
{
    [Fact]
    public async Task Should_deploy_a_model_serve_a_prediction_reject_the_weak_one_and_exit_0()
    {
        var cli = Processes.BuiltAssembly(Path.Combine("src", "Bus.Cli"), "bus.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root };
        start.ArgumentList.Add(cli);
        start.ArgumentList.Add("demo");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout;
        process.ExitCode.Should().Be(0, $"{output}\n{await stderr}");
        output.Should().Contain("Deployed").And.Contain("Rejected").And.Contain("predicted").And.Contain("demo: OK");
    }
}
