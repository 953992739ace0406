using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Bus.Transport.AmazonSqs.Sns;

/// <summary>
/// AWS Signature Version 4 for requests whose body is already known (the SNS Query API posts a form).
/// Follows the published algorithm: canonical request → string to sign → derived key → signature.
/// </summary>
public static class SigV4Signer
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>Adds X-Amz-Date, X-Amz-Content-Sha256 (when asked), X-Amz-Security-Token and Authorization to the request.</summary>
    public static void Sign(HttpRequestMessage request, byte[] body, SigningCredentials credentials, string region, string service, DateTimeOffset now,
        bool addContentSha256 = false)
    {
        ArgumentNullException.ThrowIfNull(request.RequestUri);
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var payloadHash = Hex(SHA256.HashData(body));

        request.Headers.Remove("X-Amz-Date");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        if (addContentSha256)
            request.Headers.TryAddWithoutValidation("X-Amz-Content-Sha256", payloadHash);
        if (!string.IsNullOrEmpty(credentials.SessionToken))
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", credentials.SessionToken);

        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = HostHeader(request.RequestUri),
        };
        foreach (var (name, values) in request.Headers)
            headers[name.ToLowerInvariant()] = string.Join(",", values.Select(CanonicalHeaderValue));
        if (request.Content is not null)
        {
            foreach (var (name, values) in request.Content.Headers)
                headers[name.ToLowerInvariant()] = string.Join(",", values.Select(CanonicalHeaderValue));
        }
        headers.Remove("authorization");
        headers.Remove("user-agent");

        var signedHeaders = string.Join(";", headers.Keys);
        var canonicalRequest = CanonicalRequest(request.Method.Method, request.RequestUri, headers, signedHeaders, payloadHash);
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = StringToSign(amzDate, scope, canonicalRequest);
        var signature = Hex(HMACSHA256.HashData(DeriveSigningKey(credentials.SecretAccessKey, date, region, service), Encoding.UTF8.GetBytes(stringToSign)));

        request.Headers.Authorization = new AuthenticationHeaderValue(Algorithm,
            $"Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    public static string CanonicalRequest(string method, Uri uri, IReadOnlyDictionary<string, string> canonicalHeaders, string signedHeaders,
        string payloadHash)
    {
        var builder = new StringBuilder();
        builder.Append(method).Append('\n');
        builder.Append(CanonicalPath(uri.AbsolutePath)).Append('\n');
        builder.Append(CanonicalQuery(uri.Query)).Append('\n');
        foreach (var (name, value) in canonicalHeaders)
            builder.Append(name).Append(':').Append(value).Append('\n');
        builder.Append('\n');
        builder.Append(signedHeaders).Append('\n');
        builder.Append(payloadHash);
        return builder.ToString();
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

    public static byte[] DeriveSigningKey(string secretAccessKey, string date, string region, string service)
    {
        var kDate = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Encoding.UTF8.GetBytes(date));
        var kRegion = HMACSHA256.HashData(kDate, Encoding.UTF8.GetBytes(region));
        var kService = HMACSHA256.HashData(kRegion, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(kService, "aws4_request"u8.ToArray());
    }

    /// <summary>RFC 3986 percent-encoding as SigV4 requires: unreserved characters stay, everything else is %XX (upper case).</summary>
    public static string UriEncode(string value, bool encodeSlash = true)
    {
        var builder = new StringBuilder(value.Length * 2);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.' or '~' || (c == '/' && !encodeSlash))
                builder.Append(c);
            else
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    static string CanonicalPath(string path) =>
        string.IsNullOrEmpty(path) ? "/" : UriEncode(Uri.UnescapeDataString(path), encodeSlash: false);

    static string CanonicalQuery(string query)
    {
        if (string.IsNullOrEmpty(query) || query == "?")
            return string.Empty;
        var pairs = query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p =>
            {
                var i = p.IndexOf('=', StringComparison.Ordinal);
                var key = Uri.UnescapeDataString(i < 0 ? p : p[..i]);
                var value = i < 0 ? string.Empty : Uri.UnescapeDataString(p[(i + 1)..].Replace('+', ' '));
                return (Key: UriEncode(key), Value: UriEncode(value));
            })
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal);
        return string.Join("&", pairs.Select(p => $"{p.Key}={p.Value}"));
    }

    static string HostHeader(Uri uri) => uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";

    static string CanonicalHeaderValue(string value) => string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
