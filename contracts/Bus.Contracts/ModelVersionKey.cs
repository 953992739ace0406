using System.Security.Cryptography;
using System.Text;

namespace Bus.Contracts;

/// <summary>
/// The deterministic identity of a model version: a name-based (RFC 9562 version 5) UUID of
/// "<c>modelName</c>/<c>modelVersion</c>". Producers that only know the name and version (a Python job)
/// and every .NET host derive the same id, so a duplicate announcement joins the same saga instance.
/// Names and versions are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, and nothing else
/// (whitespace at either end included): so no two (name, version) pairs share an id, and every one can be named in a URL path.
/// </summary>
public static class ModelVersionKey
{
    public const int MaxLength = 64;

    /// <summary>The rule, as said to whoever broke it.</summary>
    public const string Rule = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";

    // Bus's own namespace UUID for model versions; never change it, ids are stored.
    static readonly Guid Namespace = new("6f1c9a52-4e0b-5c8e-9a57-0b7d2c4e8f31");

    /// <summary>Why the name or version cannot be used, or null when both can.</summary>
    public static string? Problem(string? modelName, string? modelVersion)
    {
        var problems = new List<string>(2);
        if (!IsValid(modelName))
            problems.Add($"modelName '{Printable(modelName)}' is not valid ({Rule})");
        if (!IsValid(modelVersion))
            problems.Add($"modelVersion '{Printable(modelVersion)}' is not valid ({Rule})");
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>Whether <paramref name="value"/> is a valid model name or version, exactly as given.</summary>
    public static bool IsValid(string? value)
    {
        var v = value;
        if (string.IsNullOrEmpty(v) || v.Length > MaxLength || !char.IsAsciiLetterOrDigit(v[0]))
            return false;
        foreach (var c in v)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
                return false;
        }

        return true;
    }

    /// <exception cref="ArgumentException">the name or version breaks the <see cref="Rule"/>.</exception>
    public static Guid For(string modelName, string modelVersion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelVersion);
        if (Problem(modelName, modelVersion) is { } problem)
            throw new ArgumentException(problem, IsValid(modelName) ? nameof(modelVersion) : nameof(modelName));

        var name = Encoding.UTF8.GetBytes($"{modelName}/{modelVersion}");
        var ns = Namespace.ToByteArray(bigEndian: true);
        var input = new byte[ns.Length + name.Length];
        ns.CopyTo(input, 0);
        name.CopyTo(input, ns.Length);

#pragma warning disable CA5350 // SHA-1 is what RFC 9562 specifies for name-based v5 ids; not used for security
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>At most 80 characters, control characters shown as '?': safe to put in a log line or an error.</summary>
    static string Printable(string? value)
    {
        if (value is null)
            return "(none)";
        var clipped = value.Length > 80 ? value[..80] + "…" : value;
        return string.Concat(clipped.Select(c => char.IsControl(c) ? '?' : c));
    }
}
