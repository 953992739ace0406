using System.Diagnostics;
using Bus.Contracts;
using Bus.Persistence;
using Bus.Persistence.Audit;
using Bus.Pipeline;

namespace Bus.Host.Apis;

/// <summary>
/// Operators' requests refused at the HTTP door because there is no version to act on: each is an audit record, as the
/// saga's own refusals are (who asked, through which door, what, and why it was refused), and a warning in the log.
/// </summary>
static class RefusedRequests
{
    /// <summary>The state an audit record names for a version that does not exist.</summary>
    public const string UnknownState = "Unknown";

    public static async Task RecordUnknownAsync(SagaStore<ModelLifecycleState> store, ILogger logger, string name, string version, string command,
        string actor, string request, CancellationToken cancellationToken)
    {
        var detail = $"{request.Replace(" requested", string.Empty, StringComparison.Ordinal)} refused: {name} {version} is not a known model version";
        logger.LogWarning("Refused an operator's request from {Actor}: {Detail}", actor, detail);
        await new AuditLog(store.Options.Dialect).AppendAsync(
        [
            new AuditEntry
            {
                ModelName = name,
                ModelVersion = version,
                ModelVersionId = ModelVersionKey.For(name, version),
                ToState = UnknownState,
                Event = command,
                ActorKind = AuditHeaders.Http,
                ActorName = actor,
                Host = AuditEntry.ProcessHost,
                Detail = detail,
                TraceId = Activity.Current?.TraceId.ToHexString(),
            },
        ], cancellationToken);
    }
}
