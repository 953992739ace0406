using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.SQS.Model;
using Bus.Contracts;
using Bus.Transport.AmazonSqs;
using Bus.Transport.AmazonSqs.Sns;
using Bus.Transport.AmazonSqs.Transport;

namespace Bus.Cli.Topology;

/// <summary>
/// `bus topology`: what is on SNS/SQS for this pipeline right now — each stage topic and the queues it fans out to,
/// the other queues (commands, per-host serving queues, error and skipped queues), and how many messages wait in
/// each. Read-only: it lists and reads attributes, it never creates anything.
/// </summary>
static class TopologyCommand
{
    public static Command Create()
    {
        var json = CliOptions.Json("the topology");
        var aws = new AwsEndpointOptions();
        var command = new Command("topology", "each stage topic and the queues it fans out to, the queues without a topic (_error, _skipped, _dlq), " +
            "and how many messages wait in each; read-only") { json };
        aws.AddTo(command);
        command.Subcommands.Add(TopologyExportCommand.Create());
        command.SetAction((result, cancellationToken) => RunAsync(aws.Settings(result, createEntities: false), result.GetValue(json), cancellationToken));
        return command;
    }

    static async Task<int> RunAsync(AmazonSqsHostSettings settings, bool json, CancellationToken cancellationToken)
    {
        await using var client = new SqsEntityClient(settings);
        PipelineTopology topology;
        try
        {
            topology = await ReadAsync(client, settings, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or SnsException or HttpRequestException)
        {
            throw new CommandException($"could not read the topology from {settings}: {ex.Message}");
        }

        if (json)
            Console.WriteLine(JsonSerializer.Serialize(topology, CliJson.Indented));
        else
            Write(topology);
        return 0;
    }

    static async Task<PipelineTopology> ReadAsync(SqsEntityClient client, AmazonSqsHostSettings settings, CancellationToken cancellationToken)
    {
        var prefix = string.IsNullOrEmpty(settings.Scope) ? null : settings.Scope + "-";
        var queues = new Dictionary<string, QueueDepth>(StringComparer.Ordinal);
        string? next = null;
        do
        {
            var page = await client.Sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = prefix, MaxResults = 1000, NextToken = next },
                cancellationToken)
                .ConfigureAwait(false);
            foreach (var url in page.QueueUrls ?? [])
            {
                var attributes = await client.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
                {
                    QueueUrl = url,
                    AttributeNames = ["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
                }, cancellationToken).ConfigureAwait(false);
                var arn = attributes.Attributes.GetValueOrDefault("QueueArn") ?? url;
                var name = url.TrimEnd('/')[(url.TrimEnd('/').LastIndexOf('/') + 1)..];
                queues[arn] = new QueueDepth(name, arn, Count(attributes, "ApproximateNumberOfMessages"), Count(attributes,
                    "ApproximateNumberOfMessagesNotVisible"),
                    Count(attributes, "ApproximateNumberOfMessagesDelayed"));
            }

            next = page.NextToken;
        }
        while (!string.IsNullOrEmpty(next));

        var topicArns = await client.Sns.ListTopicsAsync(cancellationToken).ConfigureAwait(false);
        var topics = new List<TopicView>();
        var missing = new List<string>();
        var subscribed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stage in Stages())
        {
            var name = EntityNames.Topic(stage, settings.Scope);
            var arn = topicArns.FirstOrDefault(t => t.EndsWith(":" + name, StringComparison.Ordinal));
            if (arn is null)
            {
                missing.Add(stage);
                continue;
            }

            var subscriptions = (await client.Sns.ListSubscriptionsByTopicAsync(arn, cancellationToken).ConfigureAwait(false))
                .Select(s => new SubscriptionView(s.Protocol, s.Endpoint, queues.GetValueOrDefault(s.Endpoint)))
                .OrderBy(s => s.Queue?.Name ?? s.Endpoint, StringComparer.Ordinal)
                .ToList();
            subscribed.UnionWith(subscriptions.Select(s => s.Endpoint));
            topics.Add(new TopicView(stage, name, arn, subscriptions));
        }

        var others = queues.Values.Where(q => !subscribed.Contains(q.Arn)).OrderBy(q => q.Name, StringComparer.Ordinal).ToList();
        return new PipelineTopology(settings.Scope ?? "", settings.ServiceUrl?.ToString() ?? $"aws {settings.Region}", settings.Region, topics, others,
            missing);
    }

    /// <summary>The topic of every stage message in the contracts (<see cref="StageAttribute"/>), in a stable order.</summary>
    static IEnumerable<string> Stages() =>
        typeof(StageAttribute).Assembly.GetTypes().Select(StageAttribute.TopicNameOf).OfType<string>()
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

    static long Count(GetQueueAttributesResponse response, string name) =>
        long.TryParse(response.Attributes.GetValueOrDefault(name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    static void Write(PipelineTopology t)
    {
        var strip = string.IsNullOrEmpty(t.Scope) ? "" : t.Scope + "-";
        string Short(string name) => strip.Length > 0 && name.StartsWith(strip, StringComparison.Ordinal) ? name[strip.Length..] : name;
        string[] Depth(QueueDepth q) =>
            [q.Visible.ToString(CultureInfo.InvariantCulture), q.InFlight.ToString(CultureInfo.InvariantCulture),
                q.Delayed.ToString(CultureInfo.InvariantCulture)];

        Console.WriteLine($"{t.Endpoint}{(strip.Length > 0 ? $", scope {t.Scope} (left out of the names below)" : "")}");
        var rows = new List<string[]>();
        foreach (var topic in t.Topics)
        {
            if (topic.Subscriptions.Count == 0)
                rows.Add([Short(topic.Name), "(no subscriber: what is published here is dropped)", "", "", ""]);
            foreach (var (s, i) in topic.Subscriptions.Select((s, i) => (s, i)))
                rows.Add([i == 0 ? Short(topic.Name) : "", s.Queue is null ? $"{s.Protocol} {s.Endpoint}" : Short(s.Queue.Name), .. s.Queue is null ? ["", "",
                    ""] : Depth(s.Queue)]);
        }

        TextTable.Write(["TOPIC", "SUBSCRIBER", "VISIBLE", "IN FLIGHT", "DELAYED"], rows, leftColumns: 2);
        if (t.OtherQueues.Count > 0)
        {
            Console.WriteLine();
            TextTable.Write(["QUEUE (no stage topic)", "VISIBLE", "IN FLIGHT", "DELAYED"], t.OtherQueues.Select(q => (string[])[Short(q.Name), .. Depth(q)]),
                leftColumns: 1);
        }

        if (t.StagesWithoutTopic.Count > 0)
            Console.WriteLine($"\nno topic yet (nothing has published or subscribed to them): {string.Join(", ", t.StagesWithoutTopic)}");
        foreach (var failed in t.Topics.SelectMany(x => x.Subscriptions).Select(s => s.Queue).OfType<QueueDepth>().Concat(t.OtherQueues)
                     .Where(q => q.Holds is not null && q.Visible + q.InFlight + q.Delayed > 0).DistinctBy(q => q.Arn))
            Console.WriteLine($"attention: {failed.Visible + failed.InFlight + failed.Delayed} message(s) in {Short(failed.Name)} ({failed.Holds})");
    }
}
