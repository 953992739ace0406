using Bus.Tooling;

namespace Bus.IntegrationTests;

/// <summary>The README's first command, as a new user runs it: `bus demo` must end with a deployed model, a prediction and a rejection.</summary>
public class When_a_new_user_runs_bus_demo
{
    [Fact]
    public async Task Should_deploy_a_model_serve_a_prediction_reject_the_weak_one_and_exit_0()
    {
        var cli = Processes.BuiltAssembly(Path.Combine("src", "Bus.Cli"), "bus.dll");
        var result = await Processes.RunAsync("dotnet", [cli, "demo"], TimeSpan.FromMinutes(8), RepositoryPaths.Root);

        result.ExitCode.Should().Be(0, $"{result.Output}\n{result.Error}");
        result.Output.Should().Contain("Deployed").And.Contain("Rejected").And.Contain("predicted").And.Contain("demo: OK")
            .And.Contain("v3 promoted through its canary").And.Contain("rollout failed at 25% on live traffic: error rate");
    }
}
