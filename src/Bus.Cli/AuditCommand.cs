using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bus.Persistence.Audit;

namespace Bus.Cli;

/// <summary>
/// `bus audit`: the audit log, oldest first (chain order), one record per line as JSON Lines or CSV, for an auditor or
/// a log store: who (and by which channel), what, when, from which state to which, on which host, which artifact,
/// the metrics and the decision, the message and trace, and each row's place in the hash chain.
/// `bus audit verify` checks the chain; `bus audit anchor` writes its head where the database cannot reach it.
/// </summary>
static class AuditCommand
{
    /// <summary>Each row's place in the chain, its fields (named as <see cref="AuditFields"/> export them), and its hashes.</summary>
    static readonly string[] Columns = ["sequence", "at", .. AuditFields.All.Select(f => f.Export), "previousHash", "hash"];

    public static Command Create()
    {
        var db = new DatabaseOption();
        var model = new Option<string?>("--model") { Description = "only this model's versions", HelpName = "name" };
        var since = CliOptions.Time("--since", "only records at or after this time (ISO 8601, UTC unless an offset is given)");
        var until = CliOptions.Time("--until", "only records before this time (exclusive)");
        var format = CliOptions.OneOf("--format", "JSON Lines or CSV with a header", "jsonl", "jsonl", "csv");
        var command = new Command("audit", "the audit log, oldest first, one record per line: sequence, when, model, version, from and to state, " +
            "event, who and by which channel, host, artifact and sha256, metrics, decision, detail, message and trace ids, and the row's hashes")
        {
            model, since, until, format, db,
            AuditVerifyCommand.Create(),
            AuditAnchorCommand.Create(),
        };
        command.Validators.Add(result =>
        {
            if (CliOptions.ValueOrDefault(result, since) is { } from && CliOptions.ValueOrDefault(result, until) is { } to && to < from)
                result.AddError("--until is before --since");
        });
        command.SetAction((result, cancellationToken) => RunAsync(db.ConnectionString(result), result.GetValue(model), result.GetValue(since),
            result.GetValue(until), result.GetRequiredValue(format), cancellationToken));
        return command;
    }

    static async Task<int> RunAsync(string connectionString, string? model, DateTimeOffset? since, DateTimeOffset? until, string format,
        CancellationToken cancellationToken)
    {
        var database = LifecycleDatabase.Open(connectionString);
        var log = new AuditLog(connectionString);
        var output = Console.Out;
        if (format == "csv")
            await output.WriteLineAsync(string.Join(',', Columns)).ConfigureAwait(false);
        var count = 0;
        var versions = new HashSet<Guid>();
        await foreach (var row in AuditRows.ReadAsync(log, database, model, since, until, cancellationToken).ConfigureAwait(false))
        {
            await output.WriteLineAsync(format == "csv" ? Csv(row) : Json(row)).ConfigureAwait(false);
            versions.Add(row.Entry.ModelVersionId);
            count++;
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"{count} record(s) of {versions.Count} version(s){(model is null ? "" : $" of {model}")} from " +
            $"{database.Shown}").ConfigureAwait(false);
        return 0;
    }

    /// <summary>One JSON Lines record: camelCase names, nulls left out (as <see cref="CliJson.Compact"/> writes).</summary>
    static string Json(AuditRow row)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", row.Sequence);
            json.WriteString("at", row.RecordedAt);
            foreach (var field in AuditFields.All)
            {
                switch (field.Get(row.Entry))
                {
                    case string text:
                        json.WriteString(field.Export, text);
                        break;
                    case Guid id:
                        json.WriteString(field.Export, id);
                        break;
                    case long number:
                        json.WriteNumber(field.Export, number);
                        break;
                    case DateTimeOffset at:
                        json.WriteString(field.Export, at);
                        break;
                }
            }

            json.WriteString("previousHash", row.PreviousHash);
            json.WriteString("hash", row.Hash);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    static string Csv(AuditRow row)
    {
        string?[] values =
        [
            row.Sequence.ToString(CultureInfo.InvariantCulture), Time(row.RecordedAt),
            .. AuditFields.All.Select(f => f.Get(row.Entry) switch
            {
                DateTimeOffset at => Time(at),
                var value => Convert.ToString(value, CultureInfo.InvariantCulture),
            }),
            row.PreviousHash, row.Hash,
        ];
        return string.Join(',', values.Select(Field));
    }

    static string? Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. A field a spreadsheet would take
    /// for a formula (starting with =, +, -, @, tab or carriage return) gets a leading apostrophe: audit data holds
    /// what producers wrote, and opening the export must not run it (OWASP's CSV injection advice).
    /// </summary>
    internal static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            value = "'" + value;
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
            return value;
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
            quoted.Append(c == '"' ? "\"\"" : c.ToString());
        return quoted.Append('"').ToString();
    }
}
