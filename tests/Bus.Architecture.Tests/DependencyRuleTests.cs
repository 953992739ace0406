using Bus.Tooling;

namespace Bus.Architecture.Tests;

public class The_project_graph
{
    static readonly ProjectGraph Repository = ProjectGraph.Load(RepositoryPaths.Root);

    [Fact]
    public void Should_hold_every_arrow_DESIGN_allows()
    {
        Repository.Projects.Select(p => p.Name).Should().Contain(["Bus.Contracts", "Bus.Transport.AmazonSqs", "Bus.Persistence", "Bus.Pipeline", "Bus.Ml",
            "Bus.Host", "Bus.Cli", "Bus.Bench"]);
        DependencyRules.Violations(Repository).Should().BeEmpty();
    }

    [Fact]
    public void Should_see_through_project_references_to_their_packages()
    {
        Repository.Closure("Bus.Stages").Should().Contain(["Bus.Ml", "Bus.Registry", "Bus.Persistence"]);
        Repository.PackagesOf("Bus.Registry").Should().Contain("MassTransit", "the registry uses Bus.Persistence, which uses MassTransit");
    }

    // Each arrow DESIGN forbids, added to the real graph, is named: the check is not vacuous.
    [Theory]
    [InlineData("Bus.Ml", "Bus.Persistence", "Bus.Ml -> Bus.Persistence")]
    [InlineData("Bus.Ml", "Bus.Registry", "Bus.Ml -> Bus.Registry")]
    [InlineData("Bus.Pipeline", "Bus.Ml", "Bus.Pipeline -> Bus.Ml")]
    [InlineData("Bus.Transport.AmazonSqs", "Bus.Contracts", "Bus.Transport.AmazonSqs -> Bus.Contracts")]
    [InlineData("Bus.Persistence", "Bus.Pipeline", "Bus.Persistence -> Bus.Pipeline")]
    [InlineData("Bus.Contracts", "Bus.Tooling", "Bus.Contracts -> Bus.Tooling")]
    [InlineData("Bus.Bench", "Bus.Testing", "Bus.Bench -> Bus.Testing")]
    [InlineData("Bus.Stages", "Bus.Host", "Bus.Stages -> Bus.Host")]
    [InlineData("Bus.Bench", "Bus.Cli", "Bus.Bench -> Bus.Cli")]
    public void Should_name_a_forbidden_project_arrow(string from, string to, string expected) =>
        DependencyRules.Violations(With(from, reference: to)).Should().Contain(v => v.StartsWith(expected, StringComparison.Ordinal));

    [Theory]
    [InlineData("Bus.Ml", "MassTransit")]
    [InlineData("Bus.Ml", "Microsoft.Data.Sqlite")]
    [InlineData("Bus.Pipeline", "AWSSDK.SQS")]
    [InlineData("Bus.Pipeline", "Npgsql")]
    [InlineData("Bus.Transport.AmazonSqs", "Npgsql")]
    [InlineData("Bus.Persistence", "AWSSDK.S3")]
    public void Should_name_a_forbidden_package(string from, string package) =>
        DependencyRules.Violations(With(from, package: package)).Should().Contain(v => v.StartsWith($"{from} -> package {package}:", StringComparison.Ordinal));

    [Fact]
    public void Should_let_tests_use_the_cli_and_build_order_references_pass()
    {
        Repository["Bus.Cli.Tests"].References.Should().Contain("Bus.Cli");
        Repository["Bus.Cli"].References.Should().NotContain("Bus.Host", "a build-order reference (ReferenceOutputAssembly=false) is not a dependency");
    }

    static ProjectGraph With(string project, string? reference = null, string? package = null) =>
        new(Repository.Projects.Select(p => p.Name != project ? p : p with
        {
            References = reference is null ? p.References : [.. p.References, reference],
            Packages = package is null ? p.Packages : [.. p.Packages, package],
        }));
}
