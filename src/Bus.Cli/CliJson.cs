using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bus.Cli;

/// <summary>The JSON every command writes and sends: camelCase (the web defaults, as the hosts' HTTP API), nulls left out.</summary>
static class CliJson
{
    /// <summary>For people and scripts: what <c>--json</c> prints.</summary>
    public static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>One value per line: audit exports (JSON Lines), message bodies and HTTP requests.</summary>
    public static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
