using System.Text.Json;
using System.Text.RegularExpressions;
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
static partial class PublishCommand
{
    static readonly HashSet<string> Options =
        ["scope", "service-url", "region", "model", "version", "artifact", "format", "sha256", "validation", "dataset", "run", "producer"];
    const string Usage = "usage: bus publish training-complete --model <name> --version <v> --artifact s3://bucket/key --sha256 <hex> " +
                         "[--format tfjs-layers|onnx] [--validation s3://…] [--dataset s3://…] [--run <id>] [--producer <who>]";

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256();

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Arguments(args, Options);
        if (a.Positional is not ["training-complete"])
            throw new UsageException(Usage);
        var format = a.Option("format") ?? (a.Required("artifact", "where the model is").EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            ? ArtifactFormats.Onnx : ArtifactFormats.TfjsLayers);
        if (format is not (ArtifactFormats.TfjsLayers or ArtifactFormats.Onnx))
            throw new UsageException($"--format is tfjs-layers or onnx, not '{format}'");
        var sha = a.Required("sha256", "the evaluator refuses an artifact whose bytes do not match it").ToLowerInvariant();
        if (!Sha256().IsMatch(sha))
            throw new UsageException("--sha256 takes the artifact's sha256 as 64 hex digits (for tfjs-layers: of model.json followed by each shard in " +
                "manifest order)");
        var announcement = new TrainingCompleted
        {
            ModelName = a.Required("model", "the model's name"),
            ModelVersion = a.Required("version", "the version being announced"),
            ArtifactUri = S3(a.Option("artifact"), "artifact")!,
            ArtifactFormat = format,
            ArtifactSha256 = sha,
            ValidationSetUri = S3(a.Option("validation"), "validation"),
            DatasetUri = S3(a.Option("dataset"), "dataset"),
            RunId = a.Option("run"),
            Producer = a.Option("producer") ?? $"{Environment.UserName}@{Environment.MachineName} (bus publish)",
            ProducedAt = DateTimeOffset.UtcNow,
        };

        if (Bus.Pipeline.ModelLifecycleStateMachine.ValidateAnnouncement(announcement) is { } problem)
            throw new UsageException($"the lifecycle would refuse this announcement: {problem}");

        var settings = a.Aws(createEntities: true);
        await using var client = new SqsEntityClient(settings);
        var topic = EntityNames.Topic(StageAttribute.TopicNameOf(typeof(TrainingCompleted))!, settings.Scope);
        try
        {
            var arn = await client.GetTopicArnAsync(topic, cancellationToken).ConfigureAwait(false);
            var id = await client.Sns.PublishAsync(arn, JsonSerializer.Serialize(announcement, CliJson.Compact), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            Console.WriteLine($"announced {announcement.ModelName} {announcement.ModelVersion} on {topic} (SNS message {id}); follow it with: bus status " +
                $"{announcement.ModelName} {announcement.ModelVersion}");
            return 0;
        }
        catch (Exception ex) when (ex is SnsException or HttpRequestException or AmazonServiceException)
        {
            throw new CommandException($"could not publish to {topic} on {settings}: {ex.Message}");
        }
    }

    static string? S3(string? uri, string option) =>
        uri is null ? null
        : Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme == "s3" && parsed.Host.Length > 0 && parsed.AbsolutePath.Length > 1 ? uri
        : throw new UsageException($"--{option} takes an s3://bucket/key URI, not '{uri}'");
}
