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
    static readonly HashSet<string> Options = ["db", "model", "since", "until", "format"];
    static readonly string[] Columns =
        ["at", "model", "version", "versionId", "state", "event", "actor", "host", "artifactUri", "artifactSha256", "detail", "messageId", "traceId"];

    public sealed record AuditRecord(
        DateTimeOffset At, string Model, string Version, Guid VersionId, string State, string Event, string? Actor, string? Host,
        string? ArtifactUri, string? ArtifactSha256, string? Detail, Guid? MessageId, string? TraceId);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var a = new Arguments(args, Options);
        if (a.Positional.Count != 0)
            throw new UsageException("usage: bus audit [--model <name>] [--since <time>] [--until <time>] [--format jsonl|csv] [--db <connection string>]");
        var since = Time(a.Option("since"), "since");
        var until = Time(a.Option("until"), "until");
        if (since is not null && until is not null && until < since)
            throw new UsageException("--until is before --since");
        var format = a.Option("format") ?? "jsonl";
        if (format is not ("jsonl" or "csv"))
            throw new UsageException($"--format is jsonl or csv, not '{format}'");

        var database = LifecycleDatabase.Open(a.ConnectionString);
        var model = a.Option("model");
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

    /// <summary>An ISO 8601 time (a date alone is midnight UTC; no offset means UTC).</summary>
    static DateTimeOffset? Time(string? text, string option) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var at) ? at
        : throw new UsageException($"--{option} takes an ISO 8601 time such as 2026-11-24 or 2026-11-24T08:00:00Z, not '{text}'");

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
