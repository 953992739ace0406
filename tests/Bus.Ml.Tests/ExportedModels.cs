using Bus.Tooling;

namespace Bus.Ml.Tests;

/// <summary>Trains the sample digits model briefly and exports the converter's test models with TF.js's own outputs, once per run.</summary>
public sealed class ExportedModels : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("bus-ml-").FullName;

    public string TrainedDirectory => Path.Combine(Directory, "trained");

    public async Task InitializeAsync()
    {
        await NodeScript.RunAsync("train.mjs", "--no-upload", "--quiet", "--epochs", "3", "--out", TrainedDirectory);
        await NodeScript.RunAsync("export-test-models.mjs", "--out", Path.Combine(Directory, "exported"), "--from", TrainedDirectory);
        await NodeScript.RunAsync("tabular-job.mjs", "--task", "regression", "--out", Tabular("regression"));
        await NodeScript.RunAsync("tabular-job.mjs", "--task", "binary", "--out", Tabular("binary"));
    }

    /// <summary>A tabular model trained by tools/tabular-job.mjs (regression or binary) with its validation split in every format.</summary>
    public string Tabular(string task) => Path.Combine(Directory, "tabular", task);

    public string Case(string name) => Path.Combine(Directory, "exported", name);

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class ExportedModelsCollection : ICollectionFixture<ExportedModels>
{
    public const string Name = "exported-models";
}
