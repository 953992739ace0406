using System.Globalization;

namespace Bus.Persistence.Audit;

/// <summary>
/// One field of the audit record: its column in <c>bus_audit</c>, its name in the canonical form that is hashed, its name
/// in exports (<c>bus audit</c>), how it is stored, and how it is read from and put into an <see cref="AuditEntry"/>.
/// </summary>
public sealed record AuditField(string Column, string Canonical, string Export, AuditValue Kind, Func<AuditEntry, object?> Get,
    Func<AuditEntry, object?, AuditEntry> Set)
{
    /// <summary>The value as the database stores it: text, a GUID string, a number or Unix milliseconds.</summary>
    public object? Stored(AuditEntry entry) => Get(entry) switch
    {
        null => null,
        Guid id => id.ToString("D"),
        DateTimeOffset at => at.ToUnixTimeMilliseconds(),
        var value => value,
    };

    /// <summary>The value as the canonical form writes it: always a string (numbers and times in invariant digits), or null.</summary>
    public string? CanonicalText(AuditEntry entry) => Get(entry) switch
    {
        null => null,
        Guid id => id.ToString("D"),
        DateTimeOffset at => at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        long number => number.ToString(CultureInfo.InvariantCulture),
        var value => (string)value,
    };

    /// <summary>Reads the stored value back into its type; an edited id that is no longer a GUID reads as empty (its row's hash then fails).</summary>
    public object? Read(object? stored) => stored is null or DBNull ? null : Kind switch
    {
        AuditValue.Id => Guid.TryParse(Convert.ToString(stored, CultureInfo.InvariantCulture), out var id) ? id : Guid.Empty,
        AuditValue.Number => Convert.ToInt64(stored, CultureInfo.InvariantCulture),
        AuditValue.Time => DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(stored, CultureInfo.InvariantCulture)),
        _ => Convert.ToString(stored, CultureInfo.InvariantCulture),
    };
}
