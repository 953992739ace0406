using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;

namespace Bus.Ml;

/// <summary>Where a model's artifact is and how to check it.</summary>
public sealed record ArtifactReference(string Uri, string Format, string Sha256);

/// <summary>The artifact could not be read right now (network, throttling, 5xx): worth retrying.</summary>
public sealed class ArtifactUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads model artifacts and data sets from S3 (path-style, so emulators work), verifies the sha256 of a
/// model before any use, converts TF.js layers models to ONNX, and caches the result by sha256.
/// </summary>
public sealed class S3ArtifactStore(IAmazonS3 s3)
{
    readonly ConcurrentDictionary<string, Lazy<Task<byte[]>>> _onnx = new(StringComparer.Ordinal);

    public static IAmazonS3 CreateClient(Amazon.Runtime.AWSCredentials credentials, string region, Uri? serviceUrl)
    {
        var config = new AmazonS3Config { ForcePathStyle = serviceUrl is not null, MaxErrorRetry = 3 };
        if (serviceUrl is null)
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        else
        {
            config.ServiceURL = serviceUrl.ToString();
            config.AuthenticationRegion = region;
        }

        return new AmazonS3Client(credentials, config);
    }

    /// <summary>The model as ONNX bytes, integrity-checked; permanent problems throw <see cref="ModelConversionException"/>.</summary>
    public Task<byte[]> LoadOnnxAsync(ArtifactReference artifact, CancellationToken cancellationToken = default)
    {
        var key = artifact.Sha256.ToLowerInvariant();
        var lazy = _onnx.GetOrAdd(key, _ => new Lazy<Task<byte[]>>(() => LoadAsync(artifact, cancellationToken)));
        return Await(key, lazy);
    }

    async Task<byte[]> Await(string key, Lazy<Task<byte[]>> lazy)
    {
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            _onnx.TryRemove(new KeyValuePair<string, Lazy<Task<byte[]>>>(key, lazy));
            throw;
        }
    }

    async Task<byte[]> LoadAsync(ArtifactReference artifact, CancellationToken cancellationToken)
    {
        using var span = Evaluator.Activity.StartActivity("artifact.download");
        span?.SetTag("bus.artifact", artifact.Uri);
        switch (artifact.Format)
        {
            case "onnx":
            {
                var bytes = await ReadAsync(artifact.Uri, cancellationToken).ConfigureAwait(false);
                Verify(artifact, SHA256.HashData(bytes));
                return bytes;
            }

            case "tfjs-layers":
            {
                var modelJson = await ReadAsync(artifact.Uri, cancellationToken).ConfigureAwait(false);
                var paths = ShardPaths(modelJson);
                var baseUri = artifact.Uri[..(artifact.Uri.LastIndexOf('/') + 1)];
                var shards = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                hash.AppendData(modelJson);
                foreach (var path in paths)
                {
                    var shard = await ReadAsync(baseUri + path, cancellationToken).ConfigureAwait(false);
                    shards[path] = shard;
                    hash.AppendData(shard);
                }

                Verify(artifact, hash.GetHashAndReset());
                using var convert = Evaluator.Activity.StartActivity("artifact.convert");
                return KerasOnnxConverter.Convert(modelJson, p => shards.TryGetValue(p, out var s) ? s : throw new FileNotFoundException(p));
            }

            default:
                throw new ModelConversionException($"unsupported artifact format '{artifact.Format}' (tfjs-layers or onnx)");
        }
    }

    static void Verify(ArtifactReference artifact, byte[] actual)
    {
        var hex = Convert.ToHexStringLower(actual);
        if (!string.Equals(hex, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new ModelConversionException($"artifact integrity: sha256 of {artifact.Uri} is {hex}, the announcement says {artifact.Sha256}");
    }

    static IReadOnlyList<string> ShardPaths(byte[] modelJson)
    {
        try
        {
            using var document = JsonDocument.Parse(modelJson);
            if (!document.RootElement.TryGetProperty("weightsManifest", out var manifest))
                return [];
            return manifest.EnumerateArray().SelectMany(g => g.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!)).ToList();
        }
        catch (JsonException ex)
        {
            throw new ModelConversionException($"model.json is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Reads an object; a missing object is permanent, an unreachable store is transient.</summary>
    public async Task<byte[]> ReadAsync(string uri, CancellationToken cancellationToken = default)
    {
        var (bucket, key) = Parse(uri);
        try
        {
            using var response = await s3.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            using var memory = new MemoryStream();
            await response.ResponseStream.CopyToAsync(memory, cancellationToken).ConfigureAwait(false);
            return memory.ToArray();
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound || ex.ErrorCode is "NoSuchKey" or "NoSuchBucket")
        {
            throw new ModelConversionException($"{uri} does not exist ({ex.ErrorCode})", ex);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.Forbidden)
        {
            throw new ModelConversionException($"{uri} cannot be read: access denied", ex);
        }
        catch (Exception ex) when (ex is AmazonS3Exception or HttpRequestException or IOException or TimeoutException or Amazon.Runtime.AmazonClientException)
        {
            throw new ArtifactUnavailableException($"{uri} could not be read now: {ex.Message}", ex);
        }
    }

    public async Task WriteAsync(string uri, byte[] content, string contentType, CancellationToken cancellationToken = default)
    {
        var (bucket, key) = Parse(uri);
        try
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(content), ContentType = contentType }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonS3Exception or HttpRequestException or IOException)
        {
            throw new ArtifactUnavailableException($"{uri} could not be written now: {ex.Message}", ex);
        }
    }

    public static (string Bucket, string Key) Parse(string uri)
    {
        if (!uri.StartsWith("s3://", StringComparison.Ordinal))
            throw new ModelConversionException($"'{uri}' is not an s3://bucket/key URI");
        var rest = uri[5..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
            throw new ModelConversionException($"'{uri}' is not an s3://bucket/key URI");
        return (rest[..slash], rest[(slash + 1)..]);
    }
}
