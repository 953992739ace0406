using System.CommandLine;
using Bus.Stages;
using Microsoft.Extensions.Configuration;

namespace Bus.Cli;

/// <summary>
/// `bus trace MODEL VERSION`: the trace of a version (its transitions name it; one trace from the training job's publish
/// to its deployment), with a link where <c>Bus:Observability:TraceUrl</c> (or <c>--trace-url</c>) is a template with
/// <c>{traceId}</c>, such as Jaeger's <c>http://jaeger:16686/trace/{traceId}</c>.
/// </summary>
static class TraceCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "the model's name" };
        var version = new Argument<string>("version") { Description = "the version" };
        var db = new DatabaseOption();
        var url = new Option<string?>("--trace-url")
        {
            Description = $"a link template with {{traceId}} (default: {ObservabilityOptions.SectionName}:TraceUrl, Bus__Observability__TraceUrl)",
            HelpName = "template",
        };
        var command = new Command("trace", "the trace id of a version (one trace from the training job to deployment) and its link in your tracing UI")
        {
            model, version, db, url,
        };
        command.SetAction((result, cancellationToken) => RunAsync(db.ConnectionString(result), result.GetRequiredValue(model),
            result.GetRequiredValue(version), result.GetValue(url)
            ?? CliEnvironment.Configuration.GetSection(ObservabilityOptions.SectionName).Get<ObservabilityOptions>()?.TraceUrl, cancellationToken));
        return command;
    }

    static async Task<int> RunAsync(string connectionString, string model, string version, string? template, CancellationToken cancellationToken)
    {
        if (template is not null && !template.Contains("{traceId}", StringComparison.Ordinal))
            throw new UsageException($"the trace URL template must hold {{traceId}}: '{template}'");
        var database = LifecycleDatabase.Open(connectionString);
        var saga = await database.FindAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw new CommandException($"{model} {version} is not known in {database.Shown}");
        // Usually one trace; a version an operator acted on later (a rollback, an approval) has that request's trace too.
        var traces = saga.History.Where(h => h.TraceId is { Length: 32 } id && id != new string('0', 32)).GroupBy(h => h.TraceId!)
            .Select(g => (TraceId: g.Key, First: g.First())).ToList();
        if (traces.Count == 0)
            throw new CommandException($"{model} {version} has no trace: its hosts ran without tracing");
        foreach (var (traceId, first) in traces)
        {
            var link = template?.Replace("{traceId}", traceId, StringComparison.Ordinal);
            Console.WriteLine($"{traceId}  from {first.Event} at {CliFormat.Time(first.At)}{(link is null ? "" : "  " + link)}");
        }

        return BusCommandLine.Done;
    }
}
