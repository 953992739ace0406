using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Bus.Cli;

/// <summary>
/// `bus audit`: every recorded transition of every model version (or of one model, or within a time window), oldest
/// first, one record per line as JSON Lines or CSV, for an auditor or a log store: who, what, when, on which host,
/// which artifact, caused by which message, in which trace.
/// </summary>
static class AuditCommand
{
    static readonly string[] Columns =
        ["at", "model", "version", "versionId", "state", "event", "actor", "host", "artifactUri", "artifactSha256", "detail", "messageId", "traceId"];

    public static Command Create()
    {
        var db = new DatabaseOption();
        var model = new Option<string?>("--model") { Description = "only this model's versions", HelpName = "name" };
        var since = CliOptions.Time("--since", "only transitions at or after this time (ISO 8601, UTC unless an offset is given)");
        var until = CliOptions.Time("--until", "only transitions before this time (exclusive)");
        var format = CliOptions.OneOf("--format", "JSON Lines or CSV with a header", "jsonl", "jsonl", "csv");
        var command = new Command("audit", "every transition of every version, oldest first, one per line: when, model, version, state, event, who, " +
            "host, artifact and sha256, detail, message and trace ids")
        {
            model, since, until, format, db,
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
        var sagas = await database.AllAsync(model, since, cancellationToken).ConfigureAwait(false);
        var records = sagas
            .SelectMany(s => s.History.Select(h => new AuditRecord(h.At, s.ModelName, s.ModelVersion, s.CorrelationId, h.State, h.Event, h.Actor, h.Host,
                s.Artifact?.Uri, h.ArtifactSha256 ?? s.Artifact?.Sha256, h.Detail, h.MessageId, h.TraceId)))
            .Where(r => (since is null || r.At >= since) && (until is null || r.At < until))
            .OrderBy(r => r.At).ThenBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Version, StringComparer.Ordinal);

        var output = Console.Out;
        if (format == "csv")
            await output.WriteLineAsync(string.Join(',', Columns)).ConfigureAwait(false);
        var count = 0;
        foreach (var record in records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await output.WriteLineAsync(format == "csv" ? Csv(record) : JsonSerializer.Serialize(record, CliJson.Compact)).ConfigureAwait(false);
            count++;
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"{count} transition(s) of {sagas.Count} version(s){(model is null ? "" : $" of {model}")} from {database.Shown}")
            .ConfigureAwait(false);
        return 0;
    }

    static string Csv(AuditRecord r) => string.Join(',', new[]
    {
        r.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), r.Model, r.Version, r.VersionId.ToString(), r.State, r.Event,
        r.Actor, r.Host, r.ArtifactUri, r.ArtifactSha256, r.Detail, r.MessageId?.ToString(), r.TraceId,
    }.Select(Field));

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
