using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Bus.Contracts;
using Bus.Shared;

namespace Bus.Ml;

/// <summary>
/// Reads model artifacts and data sets from S3 (path-style, so emulators work), verifies the sha256 of a model
/// before any use, checks an ONNX file before it is loaded, and converts TF.js layers models to ONNX within the
/// limits. The conversion is cached by URI and sha256 (bounded by bytes); the artifact itself is read every time.
/// </summary>
public sealed class S3ArtifactStore(IAmazonS3 s3, string? expectedBucketOwner = null, long conversionCacheBytes = 256L * 1024 * 1024)
{
    readonly ConversionCache _conversions = new(conversionCacheBytes);

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
    public Task<byte[]> LoadOnnxAsync(ArtifactReference artifact, CancellationToken cancellationToken = default) =>
        LoadOnnxAsync(artifact, ArtifactLimits.Default, allowControlFlow: false, cancellationToken);

    /// <summary>
    /// The model as ONNX bytes: read from its URI (every time), checked against its sha256, an ONNX file inspected
    /// (<see cref="OnnxInspector"/>), a TF.js model converted within <paramref name="limits"/>.
    /// </summary>
    public async Task<byte[]> LoadOnnxAsync(ArtifactReference artifact, ArtifactLimits limits, bool allowControlFlow,
        CancellationToken cancellationToken = default)
    {
        using var span = Evaluator.Activity.StartActivity("artifact.download");
        span?.SetTag("bus.artifact", artifact.Uri);
        switch (artifact.Format)
        {
            case ArtifactFormats.Onnx:
            {
                var bytes = await ReadAsync(artifact.Uri, limits.MaxArtifactBytes, cancellationToken).ConfigureAwait(false);
                Verify(artifact, SHA256.HashData(bytes));
                ArtifactSignature.Check(artifact.Format, bytes);
                OnnxInspector.Check(bytes, limits, allowControlFlow);
                return bytes;
            }

            case ArtifactFormats.Keras or ArtifactFormats.KerasH5:
            {
                var bytes = await ReadAsync(artifact.Uri, limits.MaxArtifactBytes, cancellationToken).ConfigureAwait(false);
                Verify(artifact, SHA256.HashData(bytes));
                ArtifactSignature.Check(artifact.Format, bytes);
                if (_conversions.TryGet(artifact, out var cached))
                    return cached;
                using var convert = Evaluator.Activity.StartActivity("artifact.convert");
                convert?.SetTag("bus.artifact.format", artifact.Format);
                var onnx = KerasOnnxConverter.ConvertCheckedFile(artifact.Format, bytes, limits);
                _conversions.Add(artifact, onnx);
                return onnx;
            }

            case ArtifactFormats.TfjsLayers:
            {
                var modelJson = await ReadAsync(artifact.Uri, Math.Min(limits.MaxArtifactBytes, 64L * 1024 * 1024), cancellationToken).ConfigureAwait(false);
                ArtifactSignature.Check(artifact.Format, modelJson);
                var paths = ShardPaths(modelJson, limits);
                var baseUri = artifact.Uri[..(artifact.Uri.LastIndexOf('/') + 1)];
                var shards = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                hash.AppendData(modelJson);
                long total = modelJson.Length;
                foreach (var path in paths)
                {
                    var shard = await ReadAsync(baseUri + path, limits.MaxShardBytes, cancellationToken).ConfigureAwait(false);
                    total += shard.Length;
                    limits.CheckBytes(total, limits.MaxArtifactBytes, $"the artifact {artifact.Uri} with its shards");
                    shards[path] = shard;
                    hash.AppendData(shard);
                }

                Verify(artifact, hash.GetHashAndReset());
                if (_conversions.TryGet(artifact, out var cached))
                    return cached;
                using var convert = Evaluator.Activity.StartActivity("artifact.convert");
                var onnx = KerasOnnxConverter.Convert(modelJson, p => shards.TryGetValue(p, out var s) ? s : throw new FileNotFoundException(p), limits);
                _conversions.Add(artifact, onnx);
                return onnx;
            }

            default:
                throw new ModelConversionException($"unsupported artifact format '{artifact.Format}' ({string.Join(", ", ArtifactFormats.All)})");
        }
    }

    /// <summary>Marks the span failed (error.type) and lets the exception go on to its handler.</summary>
    static bool Failed(Activity? span, Exception exception)
    {
        SpanErrors.Record(span, exception, exception is AmazonS3Exception s3 && s3.ErrorCode is { Length: > 0 } code ? code : null);
        return false;
    }

    static void Verify(ArtifactReference artifact, byte[] actual)
    {
        var hex = Convert.ToHexStringLower(actual);
        if (!string.Equals(hex, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new ModelConversionException($"artifact integrity: sha256 of {artifact.Uri} is {hex}, the announcement says {artifact.Sha256}");
    }

    static IReadOnlyList<string> ShardPaths(byte[] modelJson, ArtifactLimits limits)
    {
        using var document = Keras.KerasJson.Parse(modelJson, "model.json");
        return KerasOnnxConverter.ShardPaths(document.RootElement, limits);
    }

    public Task<byte[]> ReadAsync(string uri, CancellationToken cancellationToken = default) => ReadAsync(uri, ArtifactLimits.Default.MaxDataSetBytes,
        cancellationToken);

    /// <summary>
    /// Reads an object of at most <paramref name="maxBytes"/> (refused before the body is read when S3 says it is larger);
    /// a missing object is permanent, an unreachable store is transient.
    /// </summary>
    public async Task<byte[]> ReadAsync(string uri, long maxBytes, CancellationToken cancellationToken = default)
    {
        using var memory = new MemoryStream();
        await CopyAsync(uri, memory, maxBytes, cancellationToken).ConfigureAwait(false);
        return memory.ToArray();
    }

    /// <summary>
    /// Copies an object of at most <paramref name="maxBytes"/> into the file <paramref name="path"/>, as
    /// <see cref="ReadAsync(string, long, CancellationToken)"/> reads it, holding one buffer at a time.
    /// </summary>
    public async Task DownloadAsync(string uri, string path, long maxBytes, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await CopyAsync(uri, file, maxBytes, cancellationToken).ConfigureAwait(false);
    }

    async Task CopyAsync(string uri, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(uri);
        // The AWS SDK makes no spans of its own: one per object read, after OpenTelemetry's AWS SDK conventions.
        using var span = Evaluator.Activity.StartActivity("S3.GetObject", ActivityKind.Client);
        span?.SetTag("rpc.system", "aws-api");
        span?.SetTag("rpc.service", "S3");
        span?.SetTag("rpc.method", "GetObject");
        span?.SetTag("aws.s3.bucket", bucket);
        span?.SetTag("aws.s3.key", key);
        try
        {
            var request = new GetObjectRequest { BucketName = bucket, Key = key };
            if (!string.IsNullOrEmpty(expectedBucketOwner))
                request.ExpectedBucketOwner = expectedBucketOwner;
            using var response = await s3.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.ContentLength > maxBytes)
                throw new ModelConversionException($"{uri} is {response.ContentLength:N0} bytes; the limit is {maxBytes:N0}");
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await response.ResponseStream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if ((total += read) > maxBytes)
                    throw new ModelConversionException($"{uri} is more than {maxBytes:N0} bytes (the limit)");
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }

            span?.SetTag("bus.bytes", total);
        }
        catch (Exception ex) when (Failed(span, ex))
        {
            throw;
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
            var request = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(content), ContentType = contentType };
            if (!string.IsNullOrEmpty(expectedBucketOwner))
                request.ExpectedBucketOwner = expectedBucketOwner;
            await s3.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonS3Exception or HttpRequestException or IOException)
        {
            throw new ArtifactUnavailableException($"{uri} could not be written now: {ex.Message}", ex);
        }
    }

    public static (string Bucket, string Key) Parse(string uri) =>
        S3Uri.TryParse(uri, out var bucket, out var key) ? (bucket, key) : throw new ModelConversionException($"'{uri}' is not an s3://bucket/key URI");
}
