using System.Text.Json;

namespace Bus.Ml.Keras;

/// <summary>
/// Reads a TF.js <c>weightsManifest</c>: which shard files a model names (each a plain relative name) and the float32
/// weights they hold, every size checked against <see cref="ArtifactLimits"/> before it is allocated.
/// </summary>
internal static class WeightManifest
{
    /// <summary>
    /// The weight files a model.json names, each a plain relative name beside it: no '..', no absolute path, no
    /// scheme, no backslash (on S3 such a key is literal, in a local reader a real path: both are refused).
    /// </summary>
    public static IReadOnlyList<string> ShardPaths(JsonElement root, ArtifactLimits limits)
    {
        if (!root.TryGetProperty("weightsManifest", out var manifest))
            return [];
        if (manifest.ValueKind != JsonValueKind.Array)
            throw new ModelConversionException("weightsManifest is not an array");
        var paths = new List<string>();
        foreach (var group in manifest.EnumerateArray())
        {
            if (!group.TryGetProperty("paths", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new ModelConversionException("a weightsManifest group has no paths array");
            foreach (var path in list.EnumerateArray())
            {
                var name = path.ValueKind == JsonValueKind.String
                    ? path.GetString()! : throw new ModelConversionException("a weight shard path is not a string");
                if (!IsPlainRelative(name))
                    throw new ModelConversionException($"weight shard path '{(name.Length > 120 ? name[..120] + "…" : name)}' is refused: shards are named " +
                        "relative to model.json, without '..', '/' at the start, '\\' or a scheme");
                paths.Add(name);
                if (paths.Count > limits.MaxShards)
                    throw new ModelConversionException($"the model names more than {limits.MaxShards:N0} weight shards (the limit)");
            }
        }

        return paths;
    }

    /// <summary>Every weight the manifest describes, by name; <paramref name="readShard"/> returns a shard's bytes.</summary>
    public static Dictionary<string, KerasTensor> Read(JsonElement root, Func<string, byte[]> readShard, ArtifactLimits limits)
    {
        var result = new Dictionary<string, KerasTensor>(StringComparer.Ordinal);
        ShardPaths(root, limits);
        if (!root.TryGetProperty("weightsManifest", out var manifest))
            return result;
        long parameters = 0;
        foreach (var group in manifest.EnumerateArray())
        {
            var data = Concatenate(group.GetProperty("paths"), readShard, limits);
            long offset = 0;
            foreach (var spec in group.GetProperty("weights").EnumerateArray())
            {
                var name = KerasJson.Str(spec, "name");
                var dtype = KerasJson.Str(spec, "dtype");
                if (spec.TryGetProperty("quantization", out var q) && q.ValueKind != JsonValueKind.Null)
                    throw new ModelConversionException($"weight '{name}' is quantized; only float32 weights are supported");
                if (dtype != "float32")
                    throw new ModelConversionException($"weight '{name}' has dtype '{dtype}'; only float32 weights are supported");
                var dims = spec.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var count = dims.Length == 0 ? 1 : ArtifactLimits.Elements(dims, limits.MaxTensorElements, $"weight '{name}'");
                limits.AddParameters(ref parameters, count);
                if (offset + count * 4 > data.Length)
                    throw new ModelConversionException($"weight shards hold {data.Length} bytes but '{name}' needs bytes {offset}..{offset + count * 4}: a " +
                        "shard is truncated or missing");
                var values = new float[count];
                Buffer.BlockCopy(data, (int)offset, values, 0, (int)(count * 4));
                offset += count * 4;
                result[name] = new KerasTensor(dims.Select(d => (int)d).ToArray(), values);
            }

            if (offset != data.Length)
                throw new ModelConversionException($"weight shards hold {data.Length} bytes but the manifest describes {offset}");
        }

        return result;
    }

    /// <summary>One group's shards end to end, each and the whole within the limits.</summary>
    static byte[] Concatenate(JsonElement paths, Func<string, byte[]> readShard, ArtifactLimits limits)
    {
        var bytes = new MemoryStream();
        foreach (var path in paths.EnumerateArray())
        {
            var name = path.GetString()!;
            byte[] shard;
            try
            {
                shard = readShard(name);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException)
            {
                throw new ModelConversionException($"weight shard '{name}' is missing", ex);
            }

            limits.CheckBytes(shard.Length, limits.MaxShardBytes, $"weight shard '{name}'");
            limits.CheckBytes(bytes.Length + (long)shard.Length, limits.MaxArtifactBytes, "the model's weights");
            bytes.Write(shard);
        }

        return bytes.ToArray();
    }

    static bool IsPlainRelative(string path) =>
        path.Length is > 0 and <= 512
        && !path.StartsWith('/') && !path.Contains('\\', StringComparison.Ordinal) && !path.Contains("://", StringComparison.Ordinal)
        && path.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..")
        && !path.Any(char.IsControl);
}
