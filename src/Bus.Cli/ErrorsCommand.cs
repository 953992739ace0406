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
    static readonly HashSet<string> Options = ["scope", "service-url", "region", "json", "kind", "max", "redrive", "db"];
    const string Usage = "usage: bus errors <queue> [--kind error|skipped|dlq] [--max <n>] [--redrive] [--json]\n       bus errors outbox [--db <connection " +
        "string or SQLite file>] [--max <n>] [--json]";

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Arguments(args, Options);
        if (a.Positional.Count != 1)
            throw new UsageException(Usage);
        var queue = a.Positional[0];
        var kind = (a.Option("kind") ?? "error") switch
        {
            "error" => FailureQueue.Error,
            "skipped" => FailureQueue.Skipped,
            "dlq" => FailureQueue.DeadLetter,
            var other => throw new UsageException($"--kind is error, skipped or dlq, not '{other}'"),
        };
        var max = a.Option("max") is { } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new UsageException($"--max takes a positive whole number, not '{text}'")
            : a.Flag("redrive") ? int.MaxValue : 20;

        if (queue == "outbox")
            return await DeadOutboxesAsync(a, max == int.MaxValue ? 1000 : max, cancellationToken).ConfigureAwait(false);

        var settings = a.Aws(createEntities: false);
        await using var client = new SqsEntityClient(settings);
        var failed = new FailedMessages(client);
        var name = failed.QueueName(queue, kind);
        try
        {
            if (a.Flag("redrive"))
            {
                var moved = await failed.RedriveAsync(queue, kind, max, cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"moved {moved} message(s) from {name} back to {EntityNames.Queue(queue, settings.Scope)}");
                return 0;
            }

            var messages = await failed.PeekAsync(queue, kind, max, cancellationToken).ConfigureAwait(false);
            if (a.Flag("json"))
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
                Console.WriteLine($"\nonce the cause is fixed: bus errors {queue}{(kind == FailureQueue.Error ? "" : $" --kind {a.Option("kind")}")} " +
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
    static async Task<int> DeadOutboxesAsync(Arguments a, int max, CancellationToken cancellationToken)
    {
        var database = new Bus.Persistence.Outbox.BusDatabase(a.ConnectionString);
        IReadOnlyList<Bus.Persistence.Outbox.DeadOutbox> dead;
        try
        {
            dead = await database.DeadAsync(max, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException ex)
        {
            throw new CommandException($"the pipeline database cannot be read: {ex.Message}");
        }

        if (a.Flag("json"))
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
