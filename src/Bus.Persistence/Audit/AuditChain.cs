using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Bus.Persistence.Audit;

/// <summary>
/// The canonical form of an audit row and its hash: a JSON object with the fields in a fixed order (<c>v</c> 1,
/// <c>prev</c>, <c>at</c> in Unix milliseconds, then every field of <see cref="AuditFields"/> in its order, as a string,
/// null where absent), UTF-8 without whitespace, hashed with SHA-256 and written as lower-case hex. The previous row's hash is part
/// of the form, so each row vouches for the whole chain before it. docs/governance.md shows it for an independent check.
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of the first row.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>
    /// The canonical form new rows are hashed with, stored in each row's <c>form</c> column. A field added to the record
    /// is a new form; rows keep the form they were written with, and verification hashes each row by its own.
    /// </summary>
    public const int CurrentForm = 1;

    /// <summary>Whether this build can hash rows of <paramref name="form"/>.</summary>
    public static bool Knows(int form) => form == 1;

    public static string Hash(string previousHash, long recordedAtMilliseconds, AuditEntry entry) =>
        Hash(CurrentForm, previousHash, recordedAtMilliseconds, entry);

    public static string Hash(int form, string previousHash, long recordedAtMilliseconds, AuditEntry entry)
    {
        if (!Knows(form))
            throw new ArgumentOutOfRangeException(nameof(form), form, "this build knows canonical form 1 only");
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", form);
            json.WriteString("prev", previousHash);
            json.WriteNumber("at", recordedAtMilliseconds);
            foreach (var field in AuditFields.All)
                json.WriteString(field.Canonical, field.CanonicalText(entry));
            json.WriteEndObject();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>Metrics as canonical JSON: keys in ordinal order, numbers round-tripping; null when there are none.</summary>
    public static string? CanonicalMetrics(IReadOnlyDictionary<string, double>? metrics)
    {
        if (metrics is null || metrics.Count == 0)
            return null;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                if (double.IsFinite(value))
                    json.WriteNumber(name, value);
                else
                    json.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
