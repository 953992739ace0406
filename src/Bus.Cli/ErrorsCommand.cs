using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Amazon.Runtime;
using Bus.Transport.AmazonSqs;
using Bus.Transport.AmazonSqs.Sns;
using Bus.Transport.AmazonSqs.Transport;

namespace Bus.Cli;

/// <summary>
/// `bus errors <queue>`: what is in a receive endpoint's failure queue and why (without taking it away), and
/// `--redrive` to move it back to the queue once the cause is fixed.
/// </summary>
static class ErrorsCommand
{
    /// <summary>The --kind words: each failure queue's suffix without its underscore (error, skipped, dlq), from FailureQueues.</summary>
    static readonly Dictionary<string, FailureQueue> Kinds =
        Enum.GetValues<FailureQueue>().ToDictionary(k => FailureQueues.Suffix(k).TrimStart('_'), StringComparer.Ordinal);

    public static Command Create()
    {
        var queue = new Argument<string>("queue")
        {
            Description = "the receive endpoint's queue name without the scope (model-lifecycle, evaluate-model, ...), or 'outbox' for the messages " +
                "the broker refused for good",
        };
        var kind = CliOptions.OneOf("--kind", "which failure queue: _error (failed after retries), _skipped (no consumer took it), _dlq (SQS's " +
            "redrive)", "error", [.. Kinds.Keys]);
        var max = CliOptions.WholeNumber("--max", "n", "how many messages at most (default 20; with --redrive, all of them)", minimum: 1);
        var redrive = new Option<bool>("--redrive") { Description = "move the messages back to <queue> once the cause is fixed" };
        var json = CliOptions.Json("the messages");
        var db = new DatabaseOption();
        var aws = new AwsEndpointOptions();
        var command = new Command("errors", "the messages in a queue's failure queue and why they failed (they stay there); --redrive moves them " +
            "back") { queue, kind, max, redrive, json, db };
        aws.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            var request = new Request(result.GetRequiredValue(queue), Kinds[result.GetRequiredValue(kind)], result.GetRequiredValue(kind),
                result.GetResult(max) is null ? result.GetValue(redrive) ? int.MaxValue : 20 : result.GetValue(max), result.GetValue(redrive),
                result.GetValue(json));
            return request.Queue == "outbox"
                ? DeadOutboxesAsync(db.ConnectionString(result), request, cancellationToken)
                : RunAsync(aws.Settings(result, createEntities: false), request, cancellationToken);
        });
        return command;
    }

    sealed record Request(string Queue, FailureQueue Kind, string KindName, int Max, bool Redrive, bool Json);

    static async Task<int> RunAsync(AmazonSqsHostSettings settings, Request request, CancellationToken cancellationToken)
    {
        var (queue, kind, max) = (request.Queue, request.Kind, request.Max);
        await using var client = new SqsEntityClient(settings);
        var failed = new FailedMessages(client);
        var name = failed.QueueName(queue, kind);
        try
        {
            if (request.Redrive)
            {
                var moved = await failed.RedriveAsync(queue, kind, max, cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"moved {moved} message(s) from {name} back to {EntityNames.Queue(queue, settings.Scope)}");
                return 0;
            }

            var messages = await failed.PeekAsync(queue, kind, max, cancellationToken).ConfigureAwait(false);
            if (request.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(messages, CliJson.Indented));
                return 0;
            }

            Console.WriteLine(messages.Count == 0
                ? $"{name}: empty (or not created yet)"
                : $"{name}: {messages.Count} message(s){(messages.Count == max ? $" (the first {max}; --max for more)" : "")}");
            foreach (var m in messages)
            {
                Console.WriteLine();
                Console.WriteLine($"  message   {m.SqsMessageId} (receive count {m.ReceiveCount}: each look counts)");
                if (m.FailedAt is { } at)
                    Console.WriteLine($"  failed at {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC on " +
                        $"{m.InputAddress ?? "?"}");
                if (m.ExceptionType is not null)
                    Console.WriteLine($"  exception {m.ExceptionType}: {OneLine(m.ExceptionMessage, 300)}");
                else if (m.Reason is not null)
                    Console.WriteLine($"  reason    {OneLine(m.Reason, 300)}");
                Console.WriteLine($"  body      {OneLine(m.Body, 200)}");
            }

            if (messages.Count > 0)
                Console.WriteLine($"\nonce the cause is fixed: bus errors {queue}{(kind == FailureQueue.Error ? "" : $" --kind {request.KindName}")} " +
                    "--redrive");
            return 0;
        }
        catch (Exception ex) when (ex is AmazonServiceException or SnsException or HttpRequestException or InvalidOperationException)
        {
            throw new CommandException($"could not read {name} on {settings}: {ex.Message}");
        }
    }

    static string OneLine(string? text, int max)
    {
        var line = (text ?? "").ReplaceLineEndings(" ");
        return line.Length <= max ? line : line[..max] + "…";
    }

    /// <summary>Outboxes the broker refused for good (the pipeline database's dead outboxes): what, where to, why.</summary>
    static async Task<int> DeadOutboxesAsync(string connectionString, Request request, CancellationToken cancellationToken)
    {
        var max = request.Max == int.MaxValue ? 1000 : request.Max;
        var database = new Bus.Persistence.Outbox.BusDatabase(connectionString);
        IReadOnlyList<Bus.Persistence.Outbox.DeadOutbox> dead;
        try
        {
            dead = await database.DeadAsync(max, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException ex)
        {
            throw new CommandException($"the pipeline database cannot be read: {ex.Message}");
        }

        if (request.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(dead, CliJson.Indented));
            return 0;
        }

        Console.WriteLine(dead.Count == 0
            ? "outbox: no dead messages" : $"outbox: {dead.Count} dead message(s): the broker refused them for good; they are kept, not sent");
        foreach (var d in dead)
        {
            Console.WriteLine();
            Console.WriteLine($"  message   {d.MessageId} ({d.MessageType ?? "?"}) to {d.Destination}");
            Console.WriteLine($"  committed {d.CommittedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC, dead since " +
                $"{d.DeadAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC after {d.Attempts} attempt(s)");
            Console.WriteLine($"  reason    {OneLine(d.Reason, 300)}");
        }

        return 0;
    }
}
