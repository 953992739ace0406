using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using Bus.Ml;
using Bus.Testing;
using Bus.Tooling;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// What a TensorFlow user hands over, through the whole pipeline over the emulator: a regression MLP saved as
/// <c>.keras</c>, evaluated on a TFRecord set, deployed and served, then a worse one rejected on RMSE; a binary
/// classifier gated on ROC AUC with a CSV set; a file announced in the wrong format failed with the reason.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_a_TensorFlow_user_hands_over_keras_files_and_TFRecords(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_deploy_the_good_models_and_reject_the_worse_ones_on_their_task_metrics()
    {
        using var pipeline = new HostedPipeline(emulator, "tabular", output);
        var jobs = new Dictionary<string, JsonNode>();
        foreach (var (name, task, epochs) in new[] { ("houses-1", "regression", "40"), ("houses-2", "regression", "2"), ("churn-1", "binary", "40"),
                     ("churn-2", "binary", "0") })
        {
            jobs[name] = JsonNode.Parse((await NodeScript.RunAsync("tabular-job.mjs", "--task", task, "--epochs", epochs, "--out",
                Path.Combine(pipeline.Data, name))).Trim().Split('\n')[^1])!;
        }

        // A fully convolutional upscaler (any height and width) and TF.js's outputs at two sizes.
        var exported = Path.Combine(pipeline.Data, "exported");
        await NodeScript.RunAsync("export-test-models.mjs", "--out", exported);
        var upscaler = Path.Combine(exported, "upscaler");
        JsonNode Reference(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(upscaler, file)))!;
        float[][] Samples(JsonNode reference, string key) => reference[key]!.AsArray().Select(v => v!.GetValue<float>())
            .Chunk(reference[key]!.AsArray().Count / reference["batch"]!.GetValue<int>()).ToArray();
        var small = Reference("reference-4x4.json");
        var upscalerSet = JsonSerializer.Serialize(new
        {
            inputShape = new[] { 4, 4, 3 },
            features = Samples(small, "inputs"),
            labels = Samples(small, "outputs"),
        });

        var models = $"{pipeline.Scope}-bus-models";
        var evaluation = $"{pipeline.Scope}-bus-evaluation";
        using (var s3 = S3ArtifactStore.CreateClient(EmulatorClients.Credentials, "us-east-1", emulator.ServiceUrl))
        {
            foreach (var bucket in new[] { models, evaluation })
                await s3.PutBucketAsync(bucket);
            foreach (var name in jobs.Keys)
            {
                var (model, version) = (name[..name.IndexOf('-')], name[(name.IndexOf('-') + 1)..]);
                await s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = models,
                    Key = $"{model}/{version}/model.keras",
                    FilePath = Path.Combine(pipeline.Data, name, "model.keras")
                });
            }

            // The operator's governed sets: the regression model's as TFRecord, the classifier's as CSV.
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = evaluation,
                Key = "houses/validation.tfrecord",
                FilePath = Path.Combine(pipeline.Data, "houses-1", "validation.tfrecord")
            });
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = evaluation,
                Key = "churn/validation.csv",
                FilePath = Path.Combine(pipeline.Data, "churn-1", "validation.csv")
            });
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = models,
                Key = "upscaler/1/model.keras",
                FilePath = Path.Combine(upscaler, "model.keras"),
            });
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = evaluation, Key = "upscaler/validation.json", ContentBody = upscalerSet });
        }

        var settings = pipeline.Settings(Path.Combine(pipeline.Data, "host"));
        // houses: the policy fixes the task; churn: the announcement gives it.
        settings["Bus:Evaluation:Models:houses:Task"] = "regression";
        settings["Bus:Evaluation:Models:houses:ValidationSetUri"] = $"s3://{evaluation}/houses/validation.tfrecord";
        settings["Bus:Evaluation:Models:houses:ArtifactLocations:0"] = $"s3://{models}/houses/";
        settings["Bus:Evaluation:Models:churn:ValidationSetUri"] = $"s3://{evaluation}/churn/validation.csv";
        settings["Bus:Evaluation:Models:churn:ArtifactLocations:0"] = $"s3://{models}/churn/";
        settings["Bus:Lifecycle:Promotion:Models:houses:Metrics:rmse:Max"] = "0.25";
        settings["Bus:Lifecycle:Promotion:Models:houses:Metrics:rmse:MaxIncrease"] = "0.01";
        settings["Bus:Lifecycle:Promotion:Models:houses:Metrics:r2:Min"] = "0.5";
        settings["Bus:Lifecycle:Promotion:Models:churn:Metrics:rocAuc:Min"] = "0.9";
        var work = Path.Combine(pipeline.Data, "evaluation-work");
        settings["Bus:Evaluation:WorkDirectory"] = work;
        settings["Bus:Evaluation:Models:upscaler:Task"] = "regression";
        settings["Bus:Evaluation:Models:upscaler:ValidationSetUri"] = $"s3://{evaluation}/upscaler/validation.json";
        settings["Bus:Evaluation:Models:upscaler:ArtifactLocations:0"] = $"s3://{models}/upscaler/";
        settings["Bus:Lifecycle:Promotion:Models:upscaler:Metrics:maxError:Max"] = "0.0001";
        await using var host = await HostProcess.StartAsync("tabular", ["lifecycle", "evaluation", "deployment"], settings, default);
        using var http = new HttpClient { BaseAddress = host.Url };
        async Task<JsonNode?> Status(string model, string version)
        {
            var response = await http.GetAsync(new Uri($"/lifecycle/{model}/{version}", UriKind.Relative));
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
        }

        // A version announces its own file unless given another's (a job's name, model-version).
        async Task<JsonNode> Settled(string model, string version, string format = "keras", string? task = null, string? fileOf = null)
        {
            var job = fileOf ?? $"{model}-{version}";
            var sha256 = jobs.TryGetValue(job, out var trained) ? trained["sha256"]!["keras"]!.ToString()
                : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(upscaler, "model.keras"))));
            await pipeline.PublishRawAsync(JsonSerializer.Serialize(new
            {
                modelName = model,
                modelVersion = version,
                artifactUri = $"s3://{models}/{job.Replace('-', '/')}/model.keras",
                artifactFormat = format,
                artifactSha256 = sha256,
                task,
                producer = "keras-trainer@test",
            }));
            await pipeline.WaitFor(async () => (await Status(model, version))?["state"]?.ToString() is "Deployed" or "Rejected" or "Failed",
                $"{model} {version} settled", TimeSpan.FromMinutes(2), () => host.Log);
            var status = (await Status(model, version))!;
            output.WriteLine($"{model} {version}: {status["state"]} {status["reason"]} {status["metrics"]?.ToJsonString()}");
            return status;
        }

        var houses1 = await Settled("houses", "1");
        houses1["state"]!.ToString().Should().Be("Deployed", houses1["reason"]?.ToString());
        houses1["metrics"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(["mae", "rmse", "r2", "maxError"]);
        houses1["evaluationSetUri"]!.ToString().Should().EndWith("validation.tfrecord");

        Directory.Exists(work).Should().BeTrue("the set was copied where the operator said");
        Directory.GetFiles(work).Should().BeEmpty("each copy is deleted once the evaluation is over");
        var houses2 = await Settled("houses", "2");
        houses2["state"]!.ToString().Should().Be("Rejected");
        houses2["reason"]!.ToString().Should().Contain("rmse");

        // The deployed .keras model is served: its outputs are TF.js's on the same samples.
        var sample = JsonSerializer.Deserialize<float[][]>(JsonNode.Parse(File.ReadAllText(Path.Combine(pipeline.Data, "houses-1", "validation.json")))!
            ["features"]!.ToJsonString())!.Take(3).ToArray();
        var expected = JsonSerializer.Deserialize<float[]>(File.ReadAllText(Path.Combine(pipeline.Data, "houses-1", "predictions.json")))!;
        await pipeline.WaitFor(async () => (await http.PostAsJsonAsync("/models/houses/predict", new { instances = sample })).IsSuccessStatusCode,
            "houses served", TimeSpan.FromSeconds(30), () => host.Log);
        var served = JsonNode.Parse(await (await http.PostAsJsonAsync("/models/houses/predict", new { instances = sample })).Content.ReadAsStringAsync())!;
        served["predictions"]!.AsArray().Select(p => p!["probabilities"]![0]!.GetValue<float>()).Should()
            .Equal(expected.Take(3), (a, e) => Math.Abs(a - e) < 1e-4, "the served model gives TF.js's outputs");

        // The announcement names the task for churn; the gate reads ROC AUC.
        var churn1 = await Settled("churn", "1", task: "binary");
        churn1["state"]!.ToString().Should().Be("Deployed", churn1["reason"]?.ToString());
        churn1["metrics"]!["rocAuc"]!.GetValue<double>().Should().BeGreaterThan(0.9);
        var churn2 = await Settled("churn", "2", task: "binary");
        churn2["state"]!.ToString().Should().Be("Rejected");
        churn2["reason"]!.ToString().Should().Contain("rocAuc");

        // A .keras file announced as the legacy HDF5 format fails with what the file really is.
        var mislabelled = await Settled("churn", "3", format: "keras-h5", task: "binary", fileOf: "churn-1");
        mislabelled["state"]!.ToString().Should().Be("Failed");
        mislabelled["reason"]!.ToString().Should().Contain("artifactFormat is 'keras-h5' but the file is a zip archive");

        // Open height and width: evaluated at the set's shape, served at each request's.
        var up = await Settled("upscaler", "1");
        up["state"]!.ToString().Should().Be("Deployed", up["reason"]?.ToString());
        foreach (var reference in new[] { small, Reference("reference.json") })
        {
            var shape = reference["inputShape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
            var answer = await http.PostAsJsonAsync("/models/upscaler/predict", new { instances = Samples(reference, "inputs"), shape });
            answer.IsSuccessStatusCode.Should().BeTrue(await answer.Content.ReadAsStringAsync());
            var outputs = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["predictions"]!.AsArray()
                .SelectMany(p => p!["probabilities"]!.AsArray().Select(v => v!.GetValue<float>())).ToArray();
            outputs.Should().Equal(Samples(reference, "outputs").SelectMany(r => r), (a, e) => Math.Abs(a - e) < 1e-4, $"at [{string.Join(",", shape)}]");
        }

        var shapeless = await http.PostAsJsonAsync("/models/upscaler/predict", new { instances = Samples(small, "inputs") });
        ((int)shapeless.StatusCode).Should().Be(400);
        (await shapeless.Content.ReadAsStringAsync()).Should().Contain("open dimensions");

        // The policy fixes houses' task: an announcement claiming another is refused, not evaluated as it asks.
        var claimed = await Settled("houses", "1b", task: "binary", fileOf: "houses-1");
        claimed["state"]!.ToString().Should().Be("Failed");
        claimed["reason"]!.ToString().Should().Contain("the evaluation policy of houses fixes 'regression'");
    }
}
