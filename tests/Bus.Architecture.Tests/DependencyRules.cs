namespace Bus.Architecture.Tests;

/// <summary>
/// The arrows DESIGN.md allows ("Dependency rules"), as checks over the project graph. Each rule names what a project
/// may use; anything else it references, directly or through another project, is a violation.
/// </summary>
public static class DependencyRules
{
    const string Contracts = "Bus.Contracts";
    const string Transport = "Bus.Transport.AmazonSqs";
    const string Persistence = "Bus.Persistence";
    const string Pipeline = "Bus.Pipeline";
    const string Ml = "Bus.Ml";
    static readonly string[] Composers = ["Bus.Host", "Bus.Cli"];

    public static IReadOnlyList<string> Violations(ProjectGraph graph)
    {
        var found = new List<string>();
        void Only(string project, string[] projects, Func<string, bool> package, string rule)
        {
            foreach (var reference in graph.Closure(project).Where(r => !projects.Contains(r)))
                found.Add($"{project} -> {reference}: {rule}");
            foreach (var reference in graph.PackagesOf(project).Where(p => !package(p)))
                found.Add($"{project} -> package {reference}: {rule}");
        }

        Only(Contracts, [], _ => false, "contracts depend on nothing");
        Only(Transport, [], p => p == "MassTransit" || p.StartsWith("AWSSDK.", StringComparison.Ordinal),
            "the transport depends on MassTransit and the AWS SDK only");
        Only(Persistence, [], p => p is "MassTransit" or "Microsoft.Data.Sqlite" or "Npgsql",
            "persistence depends on MassTransit and the database drivers only");
        Only(Pipeline, [Contracts], p => p == "MassTransit", "the pipeline depends on contracts and MassTransit only: no AWS, no ONNX, no SQL");
        // PureHDF and Google.Protobuf read the files TensorFlow users have (.keras/.h5 weights, ONNX, tf.train.Example).
        Only(Ml, [Contracts], p => p is "Microsoft.ML.OnnxRuntime" or "OnnxSharp" or "Google.Protobuf" or "PureHDF" or "AWSSDK.S3",
            "Bus.Ml depends on ONNX Runtime, the artifact store and file-format readers only, not on MassTransit or a database");

        foreach (var project in graph.Projects)
        {
            foreach (var composer in Composers.Where(project.References.Contains).Where(_ => project.Folder != "tests"))
                found.Add($"{project.Name} -> {composer}: nothing depends on the hosts and the CLI (they compose the rest)");
            if (project.Folder != "tests")
            {
                foreach (var reference in project.References.Where(r => graph.Projects.Any(p => p.Name == r && p.Folder == "tests")))
                    found.Add($"{project.Name} -> {reference}: only tests use test code (bench uses Bus.Tooling)");
            }
        }

        return found;
    }
}
