namespace Bus.Architecture.Tests;

/// <summary>One project file: its name, the top-level folder it lives in (src, contracts, tests, bench), what it references.</summary>
public sealed record Project(string Name, string Folder, IReadOnlyList<string> References, IReadOnlyList<string> Packages);
