using System.Xml.Linq;

namespace Bus.Architecture.Tests;

/// <summary>
/// The repository's projects and their arrows, read from the project files: project references (those that only order
/// the build, <c>ReferenceOutputAssembly="false"</c>, are not dependencies) and package references.
/// </summary>
public sealed class ProjectGraph
{
    readonly Dictionary<string, Project> _projects;

    public ProjectGraph(IEnumerable<Project> projects) => _projects = projects.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<Project> Projects => _projects.Values;

    public Project this[string name] => _projects.TryGetValue(name, out var project) ? project
        : throw new KeyNotFoundException($"no project {name} in the graph (known: {string.Join(", ", _projects.Keys.Order())})");

    public static ProjectGraph Load(string root)
    {
        var files = new[] { "src", "contracts", "tests", "bench" }.Where(d => Directory.Exists(Path.Combine(root, d)))
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*.csproj", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        return new ProjectGraph(files.Select(f => Read(root, f)));
    }

    static Project Read(string root, string file)
    {
        var xml = XDocument.Load(file);
        var references = xml.Descendants("ProjectReference")
            .Where(r => !string.Equals((string?)r.Attribute("ReferenceOutputAssembly"), "false", StringComparison.OrdinalIgnoreCase))
            .Select(r => Path.GetFileNameWithoutExtension(((string)r.Attribute("Include")!).Replace('\\', Path.DirectorySeparatorChar)))
            .ToList();
        var packages = xml.Descendants("PackageReference").Select(r => (string)r.Attribute("Include")!).ToList();
        var folder = Path.GetRelativePath(root, Path.GetDirectoryName(file)!).Split(Path.DirectorySeparatorChar)[0];
        return new Project(Path.GetFileNameWithoutExtension(file), folder, references, packages);
    }

    /// <summary>Every project this one uses, directly or through others.</summary>
    public IReadOnlySet<string> Closure(string name)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>(this[name].References);
        while (todo.TryPop(out var next))
        {
            if (seen.Add(next) && _projects.TryGetValue(next, out var project))
                foreach (var reference in project.References)
                    todo.Push(reference);
        }

        return seen;
    }

    /// <summary>The packages this project gets, its own and those of every project it uses.</summary>
    public IReadOnlySet<string> PackagesOf(string name) =>
        Closure(name).Where(_projects.ContainsKey).SelectMany(p => _projects[p].Packages).Concat(this[name].Packages).ToHashSet(StringComparer.Ordinal);
}
