using System.Text.Json.Nodes;

namespace Bus.Pipeline;

/// <summary>
/// The saga's events are named after their messages (ModelDeployed, ModelSuperseded, ...), and so is each history
/// entry's event. Builds before that recorded the state machine's own property names; <see cref="Rename"/> rewrites
/// a stored instance's history to the message names (the host runs it once per database as a saga data migration).
/// </summary>
public static class AuditEventNames
{
    /// <summary>The version of the saga data migration that renames the events.</summary>
    public const int MigrationVersion = 1;

    /// <summary>What older builds wrote, and the message each one is.</summary>
    public static IReadOnlyDictionary<string, string> Renamed { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Evaluated"] = nameof(Contracts.ModelEvaluated),
        ["DeploymentConfirmed"] = nameof(Contracts.ModelDeployed),
        ["Replaced"] = nameof(Contracts.ModelSuperseded),
        ["RollbackRequested"] = nameof(Contracts.RollbackModel),
        ["RestoreRequested"] = nameof(Contracts.RestoreChampion),
        ["RollbackRefused"] = nameof(Contracts.RollbackRejected),
        ["StatusRequested"] = nameof(Contracts.GetModelVersionStatus),
    };

    /// <summary>Renames the old event names in a saga document's history; true when anything changed.</summary>
    public static bool Rename(JsonObject saga)
    {
        ArgumentNullException.ThrowIfNull(saga);
        if (saga["history"] is not JsonArray history)
            return false;
        var changed = false;
        foreach (var entry in history.OfType<JsonObject>())
        {
            if (entry["event"]?.GetValueKind() == System.Text.Json.JsonValueKind.String && Renamed.TryGetValue(entry["event"]!.GetValue<string>(),
                    out var name))
            {
                entry["event"] = name;
                changed = true;
            }
        }

        return changed;
    }
}
