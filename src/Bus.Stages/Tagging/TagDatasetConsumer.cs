using System.Text.Json;
using Bus.Contracts;
using Bus.Ml;
using Bus.Registry;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bus.Stages.Tagging;

/// <summary>
/// A fan-out stage outside the saga: when a version is deployed it labels a data set and computes
/// embeddings (the penultimate layer), writing them next to the data set as <c>tags/&lt;model&gt;/&lt;version&gt;.json</c>.
/// </summary>
public sealed class TagDatasetConsumer(S3ArtifactStore store, ModelRegistry registry, IOptions<TaggingOptions> options, ILogger<TagDatasetConsumer> logger)
    : IConsumer<ModelDeployed>
{
    public async Task Consume(ConsumeContext<ModelDeployed> context)
    {
        var m = context.Message;
        if (!options.Value.Datasets.TryGetValue(m.ModelName, out var datasetUri))
            return;
        var alias = await registry.ChampionAsync(m.ModelName, context.CancellationToken);
        if (alias is null || alias.ModelVersionId != m.ModelVersionId)
        {
            logger.LogInformation("Not tagging with {ModelName} {ModelVersion}: it is no longer the champion", m.ModelName, m.ModelVersion);
            return;
        }

        var set = ValidationSet.Parse(await store.ReadAsync(datasetUri, context.CancellationToken));
        using var model = OnnxModel.Load(await store.LoadOnnxAsync(alias.Artifact, context.CancellationToken));
        var labels = new List<int>(set.Features.Length);
        var embeddings = new List<float[]>(set.Features.Length);
        // As many samples at once as the activation budget holds (a model near it runs in smaller batches), at most 128.
        var batch = model.IsDynamic ? 128
            : model.Activations(model.InputShape).BatchSize(128, ArtifactLimits.Default.Activations, $"{m.ModelName} {m.ModelVersion}");
        for (var start = 0; start < set.Features.Length; start += batch)
        {
            var count = Math.Min(batch, set.Features.Length - start);
            var input = set.Features.Skip(start).Take(count).SelectMany(f => f).ToArray();
            if (model.HasEmbedding)
            {
                var (outputs, vectors) = model.PredictWithEmbedding(input, count);
                labels.AddRange(outputs.Select(ClassificationMetrics.ArgMax));
                embeddings.AddRange(vectors);
            }
            else
            {
                labels.AddRange(model.Predict(input, count).Select(ClassificationMetrics.ArgMax));
            }
        }

        var (bucket, key) = S3ArtifactStore.Parse(datasetUri);
        var target = $"s3://{bucket}/tags/{m.ModelName}/{m.ModelVersion}.json";
        await store.WriteAsync(target, JsonSerializer.SerializeToUtf8Bytes(new
        {
            dataset = datasetUri,
            modelName = m.ModelName,
            modelVersion = m.ModelVersion,
            labels,
            embeddings
        }),
            "application/json", context.CancellationToken);
        logger.LogInformation("Tagged {Count} samples of {Dataset} with {ModelName} {ModelVersion} → {Target}",
            labels.Count, key, m.ModelName, m.ModelVersion,
            target);
    }
}
