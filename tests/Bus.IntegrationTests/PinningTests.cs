using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using Bus.Ml;
using Bus.Testing;
using Bus.Tooling;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// Two ways to pin a host: a candidate whose inference never ends, and a burst of large predictions. Neither may hold
/// the pipeline: the candidate fails within its deadline and the next version is evaluated; saga transitions go on
/// while the inference endpoint is saturated.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_a_candidate_or_clients_try_to_pin_the_hosts(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_stop_the_endless_model_at_its_deadline_and_keep_the_pipeline_moving_under_a_prediction_burst()
    {
        using var pipeline = new HostedPipeline(emulator, "pin", output);
        var trained = await pipeline.TrainAsync("trained");
        var onnx = OnnxFiles.EndlessLoop(width: 64);
        var key = "loopy/1/model.onnx";
        using (var s3 = S3ArtifactStore.CreateClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl))
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = $"{pipeline.Scope}-bus-models", Key = key, InputStream = new MemoryStream(onnx) });

        var settings = pipeline.Settings(Path.Combine(pipeline.Data, "host"));
        settings["Bus:Evaluation:Timeout"] = "00:00:03";
        settings["Bus:Evaluation:Models:loopy:AllowControlFlow"] = "true";
        settings["Bus:Evaluation:Models:loopy:ArtifactLocations:0"] = $"s3://{pipeline.Scope}-bus-models/loopy/";
        await using var host = await HostProcess.StartAsync("pinned", ["lifecycle", "evaluation", "deployment"], settings, default);
        using var http = new HttpClient { BaseAddress = host.Url };
        async Task<JsonNode?> Status(string model, string version)
        {
            var response = await http.GetAsync(new Uri($"/lifecycle/{model}/{version}", UriKind.Relative));
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
        }

        var clock = Stopwatch.StartNew();
        await pipeline.PublishRawAsync(JsonSerializer.Serialize(new
        {
            modelName = "loopy",
            modelVersion = "1",
            artifactUri = $"s3://{pipeline.Scope}-bus-models/{key}",
            artifactFormat = "onnx",
            artifactSha256 = Convert.ToHexStringLower(SHA256.HashData(onnx)),
            producer = "trainer@test",
        }));
        await pipeline.WaitFor(async () => (await Status("loopy", "1"))?["state"]?.ToString() == "Failed", "the endless model failed", TimeSpan.FromMinutes(1),
            () => host.Log);
        output.WriteLine($"endless model failed after {clock.Elapsed}");
        (await Status("loopy", "1"))!["reason"]!.ToString().Should().Contain("deadline of 00:00:03");

        await pipeline.AnnounceAsync("digits", "1", trained);
        await pipeline.WaitFor(async () => (await Status("digits", "1"))?["state"]?.ToString() == "Deployed", "the next version deployed",
            TimeSpan.FromMinutes(2), () => host.Log);

        // Clients saturate inference with the largest requests allowed while a new version goes through the pipeline.
        using var burst = new CancellationTokenSource();
        var body = new { instances = Enumerable.Range(0, 256).Select(i => Enumerable.Range(0, 64).Select(j => (float)((i + j) % 17)).ToArray()).ToArray() };
        var answered = 0;
        var clients = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = host.Url, Timeout = TimeSpan.FromSeconds(30) };
            while (!burst.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.PostAsJsonAsync("/models/digits/predict", body, burst.Token);
                    if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
                        Interlocked.Increment(ref answered);
                }
                catch (OperationCanceledException) when (burst.IsCancellationRequested)
                {
                }
            }
        })).ToList();
        try
        {
            await Task.Delay(2000);
            clock.Restart();
            await pipeline.AnnounceAsync("digits", "2", trained);
            await pipeline.WaitFor(async () => (await Status("digits", "2"))?["state"]?.ToString() is "Deployed" or "Rejected",
                "digits 2 through the pipeline during the burst", TimeSpan.FromSeconds(90), () => host.Log);
            output.WriteLine($"digits 2 final after {clock.Elapsed} with {answered} predictions answered");
        }
        finally
        {
            await burst.CancelAsync();
            await Task.WhenAll(clients);
        }

        answered.Should().BeGreaterThan(0, "the burst really ran");
    }
}
