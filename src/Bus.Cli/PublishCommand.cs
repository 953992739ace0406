using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Amazon.Runtime;
using Bus.Contracts;
using Bus.Transport.AmazonSqs;
using Bus.Transport.AmazonSqs.Sns;
using Bus.Transport.AmazonSqs.Transport;

namespace Bus.Cli;

/// <summary>
/// `bus publish training-complete`: announces a trained model the way a training job does (plain JSON on the SNS
/// topic), for a job that cannot call SNS itself or to announce an artifact again. Everything the lifecycle saga
/// would refuse is refused here first, with the reason.
/// </summary>
static class PublishCommand
{
    /// <summary>The format a key's extension names; tfjs-layers (a model.json) when it names none of the others.</summary>
    static string FormatOf(string uri) => Path.GetExtension(uri).ToLowerInvariant() switch
    {
        ".keras" => ArtifactFormats.Keras,
        ".h5" or ".hdf5" => ArtifactFormats.KerasH5,
        ".onnx" => ArtifactFormats.Onnx,
        _ => ArtifactFormats.TfjsLayers,
    };

    public static Command Create()
    {
        var trainingComplete = new Command("training-complete", "announce a trained model on the training-complete topic");
        var model = CliOptions.Required(trainingComplete, "--model", "name", "the model's name", "the model's name");
        var version = CliOptions.Required(trainingComplete, "--version", "v", "the version being announced", "the version being announced");
        var artifact = CliOptions.Required(trainingComplete, "--artifact", "s3://bucket/key", "where the model is", "where the model is");
        var sha256 = CliOptions.Required(trainingComplete, "--sha256", "hex", "the artifact's sha256 (of the file; for tfjs-layers: of model.json " +
            "followed by each shard in manifest order)", "the evaluator refuses an artifact whose bytes do not match it");
        var format = new Option<string?>("--format")
        {
            Description = "the artifact's format (default from the key: .keras keras, .h5 keras-h5, .onnx onnx, else tfjs-layers)",
            HelpName = string.Join("|", ArtifactFormats.All),
        };
        format.AcceptOnlyFromAmong([.. ArtifactFormats.All]);
        var task = new Option<string?>("--task")
        {
            Description = "what the model is evaluated as (default: the evaluator's policy, else multiclass)",
            HelpName = string.Join("|", EvaluationTasks.All),
        };
        task.AcceptOnlyFromAmong([.. EvaluationTasks.All]);
        var validation = new Option<string?>("--validation") { Description = "the producer's validation set", HelpName = "s3://bucket/key" };
        var dataset = new Option<string?>("--dataset") { Description = "the training dataset, for tagging", HelpName = "s3://bucket/key" };
        var run = new Option<string?>("--run") { Description = "the training run's id", HelpName = "id" };
        var producer = new Option<string?>("--producer") { Description = "who announces (default: user@machine (bus publish))", HelpName = "who" };
        foreach (var option in new Option[] { format, task, validation, dataset, run, producer })
            trainingComplete.Options.Add(option);
        var aws = new AwsEndpointOptions();
        aws.AddTo(trainingComplete);
        trainingComplete.SetAction((result, cancellationToken) =>
        {
            var uri = result.GetRequiredValue(artifact);
            var announcement = new TrainingCompleted
            {
                ModelName = result.GetRequiredValue(model),
                ModelVersion = result.GetRequiredValue(version),
                ArtifactUri = uri,
                ArtifactFormat = result.GetValue(format) ?? FormatOf(uri),
                Task = result.GetValue(task),
                ArtifactSha256 = result.GetRequiredValue(sha256).ToLowerInvariant(),
                ValidationSetUri = result.GetValue(validation),
                DatasetUri = result.GetValue(dataset),
                RunId = result.GetValue(run),
                Producer = result.GetValue(producer) ?? $"{Environment.UserName}@{Environment.MachineName} (bus publish)",
                ProducedAt = DateTimeOffset.UtcNow,
            };

            // The lifecycle's own rules, so that what it would refuse is refused here with the same words, before anything is sent.
            if (AnnouncementRules.Validate(announcement) is { } problem)
                throw new UsageException($"the lifecycle would refuse this announcement: {problem}");
            return PublishAsync(aws.Settings(result, createEntities: true), announcement, cancellationToken);
        });

        return new Command("publish", "announce a trained model as a training job does (plain JSON on SNS)") { trainingComplete };
    }

    static async Task<int> PublishAsync(AmazonSqsHostSettings settings, TrainingCompleted announcement, CancellationToken cancellationToken)
    {
        await using var client = new SqsEntityClient(settings);
        var topic = EntityNames.Topic(StageAttribute.TopicNameOf(typeof(TrainingCompleted))!, settings.Scope);
        // The announcement starts the version's trace (or continues TRACEPARENT's): its publish span's context rides along.
        using var tracing = CliTracing.Start();
        using var span = CliTracing.Source.StartActivity($"bus publish {announcement.ModelName} {announcement.ModelVersion}", ActivityKind.Internal,
            CliTracing.Parent());
        span?.SetTag("bus.model.name", announcement.ModelName);
        span?.SetTag("bus.model.version", announcement.ModelVersion);
        try
        {
            var id = await client.PublishAsync(topic, JsonSerializer.Serialize(announcement, CliJson.Compact),
                new Dictionary<string, SnsAttribute>(), null, null, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"announced {announcement.ModelName} {announcement.ModelVersion} on {topic} (SNS message {id}, trace {span?.TraceId}); " +
                $"follow it with: bus status {announcement.ModelName} {announcement.ModelVersion}");
            return 0;
        }
        catch (Exception ex) when (ex is SnsException or HttpRequestException or AmazonServiceException)
        {
            throw new CommandException($"could not publish to {topic} on {settings}: {ex.Message}");
        }
    }
}
