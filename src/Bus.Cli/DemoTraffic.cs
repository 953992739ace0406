using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bus.Tooling;

namespace Bus.Cli;

/// <summary>
/// The demo's clients: each call a validation sample under its own route key, and the true label sent back as feedback;
/// with <c>faulty</c>, one call in five carries a pixel far outside what the model was trained and graded on.
/// </summary>
sealed class DemoTraffic(HttpClient http, HostProcess serving, string trainingOutput)
{
    readonly Lazy<(float[][] Samples, int[] Labels)> _set = new(() =>
    {
        var validation = JsonNode.Parse(File.ReadAllText(Path.Combine(trainingOutput, "validation.json")))!;
        var features = validation["features"]!.AsArray();
        return (features.Select(f => f!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToArray(),
            validation["labels"]!.AsArray().Select(l => l!.GetValue<int>()).ToArray());
    });

    readonly Random _random = new(17);

    public int Answered { get; private set; }
    public int Failed { get; private set; }

    /// <summary>Calls the serving host (about a hundred requests a second) until <paramref name="follow"/> ends; its result.</summary>
    public async Task<T> WhileAsync<T>(Func<Task<T>> follow, bool faulty, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var traffic = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await CallAsync(faulty, stop.Token).ConfigureAwait(false);
                await Task.Delay(10, stop.Token).ConfigureAwait(false);
            }
        }, stop.Token);
        try
        {
            return await follow().ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await traffic.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    async Task CallAsync(bool faulty, CancellationToken cancellationToken)
    {
        var (samples, labels) = _set.Value;
        var i = _random.Next(samples.Length);
        var sample = samples[i].ToArray();
        if (faulty && _random.Next(5) == 0)
            sample[_random.Next(sample.Length)] = 100;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(serving.Url, "/models/digits/predict"))
        {
            Content = JsonContent.Create(new { instances = new[] { sample } }),
        };
        request.Headers.Add("Bus-Route-Key", $"client-{_random.Next(10_000)}");
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            Failed++;
            return;
        }

        Answered++;
        var prediction = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!["predictions"]![0]!;
        // Predictions carry an id only while the model rolls out (the label is wanted only then).
        if (prediction["predictionId"] is not JsonValue id)
            return;
        using var feedback = await http.PostAsJsonAsync(new Uri(serving.Url, "/models/digits/feedback"),
            new { predictionId = id.GetValue<Guid>(), label = labels[i] }, cancellationToken).ConfigureAwait(false);
    }
}
