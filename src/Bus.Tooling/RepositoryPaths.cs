namespace Bus.Tooling;

/// <summary>Finds the repository root (the folder holding Bus.sln) from wherever tests run.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Tools => Path.Combine(Root, "tools");

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Bus.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"Bus.sln not found above {AppContext.BaseDirectory}");
    }
}
