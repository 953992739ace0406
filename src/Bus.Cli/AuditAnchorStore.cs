using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Bus.Persistence.Audit;

namespace Bus.Cli;

/// <summary>
/// Where anchors are kept: a local file, or an S3 object (<c>s3://bucket/key</c>). Never overwritten, since an anchor is
/// evidence. On a bucket with Object Lock enabled the object is written with a retention (the bucket's default mode,
/// else COMPLIANCE, until <c>--retain-days</c> from now), so that not even the bucket's owner can change or delete it
/// before then; on a bucket without it, the anchor is only as safe as the bucket's policy, and the command says so.
/// </summary>
sealed class AuditAnchorStore(Func<IAmazonS3> s3)
{
    public async Task<string> WriteAsync(string target, AuditAnchor anchor, int retainDays, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(anchor, CliJson.Indented);
        if (!S3Location.TryParse(target, out var bucket, out var key))
        {
            try
            {
                await using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
                await file.WriteAsync(Encoding.UTF8.GetBytes(json), cancellationToken).ConfigureAwait(false);
                return "a local file: copy it to write-once storage";
            }
            catch (IOException ex) when (File.Exists(target))
            {
                throw new CommandException($"{target} exists: an anchor is never overwritten; write each one to a new name ({ex.Message})");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CommandException($"could not write {target}: {ex.Message}");
            }
        }

        using var client = s3();
        try
        {
            if (await ExistsAsync(client, bucket, key, cancellationToken).ConfigureAwait(false))
                throw new CommandException($"{target} exists: an anchor is never overwritten; write each one to a new key");
            var lockMode = await LockModeAsync(client, bucket, cancellationToken).ConfigureAwait(false);
            await client.PutObjectAsync(Put(bucket, key, json, lockMode, DateTime.UtcNow.AddDays(retainDays)), cancellationToken).ConfigureAwait(false);
            return lockMode is null
                ? $"S3 without Object Lock (bucket {bucket} has none): protect the key with the bucket's policy, or use a bucket with Object Lock"
                : $"S3 with Object Lock: {lockMode.Value} retention for {retainDays} day(s)";
        }
        catch (AmazonS3Exception ex)
        {
            throw new CommandException($"could not write the anchor to {target}: {ex.ErrorCode ?? ex.StatusCode.ToString()}: {ex.Message}");
        }
    }

    /// <summary>The object written: with a retention when the bucket has Object Lock (S3 then wants a checksum, which SHA-256 gives).</summary>
    internal static PutObjectRequest Put(string bucket, string key, string json, ObjectLockMode? lockMode, DateTime retainUntil)
    {
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            ContentBody = json,
            ContentType = "application/json",
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
        };
        if (lockMode is not null)
        {
            request.ObjectLockMode = lockMode;
            request.ObjectLockRetainUntilDate = retainUntil;
        }

        return request;
    }

    public async Task<AuditAnchor> ReadAsync(string source, CancellationToken cancellationToken)
    {
        string text;
        if (S3Location.TryParse(source, out var bucket, out var key))
        {
            using var client = s3();
            try
            {
                using var response = await client.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
                using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
                text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex)
            {
                throw new CommandException($"could not read the anchor {source}: {ex.ErrorCode ?? ex.StatusCode.ToString()}: {ex.Message}");
            }
        }
        else
        {
            try
            {
                text = await File.ReadAllTextAsync(source, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CommandException($"could not read the anchor {source}: {ex.Message}");
            }
        }

        try
        {
            return JsonSerializer.Deserialize<AuditAnchor>(text, CliJson.Indented) is { Sequence: > 0, Hash.Length: 64 } anchor
                ? anchor : throw new CommandException($"{source} is not an audit anchor (sequence, hash, at)");
        }
        catch (JsonException ex)
        {
            throw new CommandException($"{source} is not an audit anchor: {ex.Message}");
        }
    }

    static async Task<bool> ExistsAsync(IAmazonS3 client, string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetObjectMetadataAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>The bucket's Object Lock default mode (COMPLIANCE when enabled without one); null when the bucket has no Object Lock.</summary>
    static async Task<ObjectLockMode?> LockModeAsync(IAmazonS3 client, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = bucket }, cancellationToken)
                .ConfigureAwait(false);
            var configuration = response.ObjectLockConfiguration;
            if (configuration?.ObjectLockEnabled != ObjectLockEnabled.Enabled)
                return null;
            return configuration.Rule?.DefaultRetention?.Mode is { } mode ? ObjectLockMode.FindValue(mode.Value) : ObjectLockMode.Compliance;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.NotImplemented
                                               or System.Net.HttpStatusCode.BadRequest)
        {
            return null;
        }
    }
}
