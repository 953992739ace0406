using System.Security.Cryptography;
using System.Text;

namespace Bus.Transport.AmazonSqs;

/// <summary>
/// SQS and SNS name rules: letters, digits, '-' and '_' only; queues at most 80 characters, topics at
/// most 256; '.fifo' only as the FIFO suffix. Names that break a rule are mended, and names that are too
/// long are shortened with a hash so that two long names never collide.
/// </summary>
public static class EntityNames
{
    public const int MaxQueueNameLength = 80;
    public const int MaxTopicNameLength = 256;
    public const string FifoSuffix = ".fifo";

    /// <summary>
    /// The start of every temporary queue's name (a bus's own queue for responses, deleted when the bus stops), after the
    /// scope: one IAM pattern (<c>scope-tmp-*</c>) covers them.
    /// </summary>
    public const string TemporaryQueuePrefix = "tmp-";

    public static bool IsFifo(string name) => name.EndsWith(FifoSuffix, StringComparison.OrdinalIgnoreCase);

    public static string Queue(string name, string? scope = null) => Sanitize(name, scope, MaxQueueNameLength);

    public static string Topic(string name, string? scope = null) => Sanitize(name, scope, MaxTopicNameLength);

    /// <summary>True when the name is already valid as is (used to validate explicit names).</summary>
    public static bool IsValid(string name, int maxLength)
    {
        var core = IsFifo(name) ? name[..^FifoSuffix.Length] : name;
        return core.Length > 0 && name.Length <= maxLength && core.All(IsAllowed);
    }

    static string Sanitize(string name, string? scope, int maxLength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var fifo = IsFifo(name);
        var core = fifo ? name[..^FifoSuffix.Length] : name;
        if (!string.IsNullOrWhiteSpace(scope))
            core = $"{scope}-{core}";

        var builder = new StringBuilder(core.Length);
        foreach (var c in core)
            builder.Append(IsAllowed(c) ? c : c is '.' or ':' or '/' or '+' or ' ' ? '-' : '_');
        var mended = builder.ToString();

        var suffix = fifo ? FifoSuffix : string.Empty;
        var room = maxLength - suffix.Length;
        if (mended.Length > room)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(mended)))[..8];
            mended = $"{mended[..(room - 9)]}-{hash}";
        }

        return mended + suffix;
    }

    static bool IsAllowed(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_';
}
