using System.Text.Json.Nodes;

namespace Bus.Persistence;

/// <summary>
/// One rewrite of a saga's stored JSON: <see cref="Upgrade"/> is given each instance's document and returns true when it
/// changed it. Runs once per database, in the migration's transaction, with the saga's schema.
/// </summary>
public sealed record SagaDataMigration(int Version, string Description, Func<JsonObject, bool> Upgrade);
