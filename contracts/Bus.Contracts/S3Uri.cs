namespace Bus.Contracts;

/// <summary>The one rule for the <c>s3://bucket/key</c> URIs that messages carry: a bucket and a non-empty key.</summary>
public static class S3Uri
{
    public static bool TryParse(string? uri, out string bucket, out string key)
    {
        (bucket, key) = (string.Empty, string.Empty);
        if (uri is null || !uri.StartsWith("s3://", StringComparison.Ordinal))
            return false;
        var rest = uri.AsSpan(5);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
            return false;
        (bucket, key) = (rest[..slash].ToString(), rest[(slash + 1)..].ToString());
        return true;
    }

    public static bool IsValid(string? uri) => TryParse(uri, out _, out _);
}
