using System.Globalization;

namespace Bus.Transport.AmazonSqs.Topology;

/// <summary>
/// Addresses of the transport: <c>queue:name</c> and <c>topic:name</c> in short form, normalised to
/// <c>amazonsqs://region/name</c> (queue) or <c>amazonsqs://region/name?type=topic</c>. Names in addresses are
/// logical; the scope prefix and name rules are applied when a physical queue or topic is named.
/// </summary>
public readonly record struct SqsEndpointAddress(string Region, string Name, SqsEntityKind Kind)
{
    public const string Scheme = "amazonsqs";

    public static SqsEndpointAddress Parse(Uri hostAddress, Uri address)
    {
        var region = hostAddress.Host;
        switch (address.Scheme)
        {
            case "queue":
                return new SqsEndpointAddress(region, NameOf(address.AbsolutePath), SqsEntityKind.Queue);
            case "topic":
                return new SqsEndpointAddress(region, NameOf(address.AbsolutePath), SqsEntityKind.Topic);
            case Scheme:
                var kind = address.Query.Contains("type=topic", StringComparison.OrdinalIgnoreCase) ? SqsEntityKind.Topic : SqsEntityKind.Queue;
                var name = NameOf(address.AbsolutePath);
                if (string.IsNullOrEmpty(name))
                    throw new ArgumentException($"The address has no queue or topic name: {address}", nameof(address));
                return new SqsEndpointAddress(address.Host, name, kind);
            default:
                throw new ArgumentException($"The address scheme '{address.Scheme}' is not supported by the Amazon SQS transport (use queue:, topic: or " +
                    $"amazonsqs://): {address}", nameof(address));
        }
    }

    static string NameOf(string path)
    {
        var trimmed = Uri.UnescapeDataString(path).Trim('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    public Uri ToUri() => new(string.Create(CultureInfo.InvariantCulture,
        $"{Scheme}://{Region}/{Uri.EscapeDataString(Name)}{(Kind == SqsEntityKind.Topic ? "?type=topic" : string.Empty)}"));

    public override string ToString() => ToUri().ToString();
}
