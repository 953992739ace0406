namespace Bus.Ml.Tests;

[Collection(ExportedModelsCollection.Name)]
public class When_a_served_model_is_swapped_under_load(ExportedModels models)
{
    OnnxModel Load(string name)
    {
        var directory = models.Case(name);
        return OnnxModel.Load(KerasOnnxConverter.Convert(File.ReadAllBytes(Path.Combine(directory, "model.json")), s =>
            File.ReadAllBytes(Path.Combine(directory, s))));
    }

    [Fact]
    public async Task Should_answer_every_request_and_switch_to_the_new_version()
    {
        using var server = new ModelServer();
        server.Swap(new ServedModel("digits", Guid.NewGuid(), "1", 1, Load("digits")));
        var input = new float[64];
        var failures = 0;
        var versions = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();

        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var version = server.Use("digits", m => { m.Model.Predict(input, 1); return m.Version; });
                if (version is null)
                    Interlocked.Increment(ref failures);
                else
                    versions.Add(version);
            }
        })).ToArray();

        for (var revision = 2; revision <= 20; revision++)
        {
            await Task.Delay(10);
            server.Swap(new ServedModel("digits", Guid.NewGuid(), revision.ToString(System.Globalization.CultureInfo.InvariantCulture), revision,
                Load("digits")));
        }

        await Task.Delay(50);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        failures.Should().Be(0);
        versions.Should().Contain("1").And.Contain("20");
        server.Use("digits", m => m.Version).Should().Be("20");
        server.Use("iris", m => m.Version).Should().BeNull();
    }

    [Fact]
    public void Should_ignore_an_older_revision_arriving_late()
    {
        using var server = new ModelServer();
        server.Swap(new ServedModel("digits", Guid.NewGuid(), "5", 5, Load("digits")));
        server.Swap(new ServedModel("digits", Guid.NewGuid(), "4", 4, Load("digits")));

        server.Use("digits", m => m.Version).Should().Be("5");
    }
}
