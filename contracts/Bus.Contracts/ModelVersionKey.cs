using System.Security.Cryptography;
using System.Text;

namespace Bus.Contracts;

/// <summary>
/// The deterministic identity of a model version: a name-based (RFC 9562 version 5) UUID of
/// "<c>modelName</c>/<c>modelVersion</c>". Producers that only know the name and version (a Python job)
/// and every .NET host derive the same id, so a duplicate announcement joins the same saga instance.
/// </summary>
public static class ModelVersionKey
{
    // Bus's own namespace UUID for model versions; never change it, ids are stored.
    static readonly Guid Namespace = new("6f1c9a52-4e0b-5c8e-9a57-0b7d2c4e8f31");

    public static Guid For(string modelName, string modelVersion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelVersion);

        var name = Encoding.UTF8.GetBytes($"{modelName.Trim()}/{modelVersion.Trim()}");
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
}
