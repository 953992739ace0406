namespace Bus.Cli;

/// <summary>An <c>s3://bucket/key</c> address, split.</summary>
static class S3Location
{
    public static bool TryParse(string text, out string bucket, out string key)
    {
        bucket = key = string.Empty;
        if (!text.StartsWith("s3://", StringComparison.Ordinal))
            return false;
        var rest = text["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
            throw new UsageException($"'{text}' is not s3://bucket/key");
        (bucket, key) = (rest[..slash], rest[(slash + 1)..]);
        return true;
    }
}
