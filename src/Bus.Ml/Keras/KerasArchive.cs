using System.IO.Compression;
using System.Text.Json;
using PureHDF;
using PureHDF.VOL.Native;
using static Bus.Ml.Keras.KerasJson;

namespace Bus.Ml.Keras;

/// <summary>
/// A Keras 3 <c>.keras</c> file (keras <c>saving_lib</c>): a zip of <c>config.json</c> (the model, in Keras 3's
/// serialisation), <c>metadata.json</c> and the weights, either <c>model.weights.h5</c> or sharded as a
/// <c>*.weights.json</c> map (<c>{"weight_map": {"/layers/dense/vars": ["model_00000.weights.h5"]}}</c>) with the
/// numbered <c>.h5</c> files it names. In the weights file a layer's variables are the datasets
/// <c>layers/&lt;class in snake case, numbered&gt;/vars/0</c>, <c>1</c>, …; see <see cref="KerasWeightLayout"/>.
/// </summary>
internal static class KerasArchive
{
    public const string ConfigEntry = "config.json";
    public const string WeightsEntry = "model.weights.h5";

    /// <summary>Keras 2.13–2.15 saved the same tree under this name; Keras 3 still reads it.</summary>
    const string LegacyLayersGroup = "_layer_checkpoint_dependencies";

    public static bool IsZip(ReadOnlySpan<byte> bytes) => bytes.Length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;

    /// <summary>The model config (the caller disposes it) and its weights by <c>layer/weight</c> name.</summary>
    public static (JsonDocument Config, Dictionary<string, KerasTensor> Weights) Read(byte[] file, ArtifactLimits limits)
    {
        if (!IsZip(file))
            throw new ModelConversionException("the .keras file is not a zip archive (Keras 3's model.save(\"model.keras\") writes one)");
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
            // The central directory is read on first use: read it here, where a damaged one is reported as such.
            _ = zip.Entries.Count;
        }
        catch (InvalidDataException ex)
        {
            throw new ModelConversionException($"the .keras file is not a readable zip archive: {ex.Message}", ex);
        }

        using (zip)
        {
            if (zip.Entries.Count > limits.MaxShards + 16)
                throw new ModelConversionException($"the .keras archive has {zip.Entries.Count:N0} entries; at most {limits.MaxShards + 16:N0} are read");
            var configBytes = Entry(zip, ConfigEntry, 64L * 1024 * 1024, limits)
                ?? throw new ModelConversionException("the .keras archive has no config.json: not a Keras 3 model file");
            var config = Parse(configBytes, "the .keras archive's config.json");

            try
            {
                var datasets = new Dictionary<string, (IH5Dataset Dataset, string File)>(StringComparer.Ordinal);
                var files = new List<NativeFile>();
                try
                {
                    long total = configBytes.Length;
                    foreach (var name in WeightFiles(zip, limits))
                    {
                        var bytes = Entry(zip, name, limits.MaxShardBytes, limits)
                            ?? throw new ModelConversionException($"the .keras archive names weights file '{name}' but does not hold it");
                        total += bytes.Length;
                        limits.CheckBytes(total, limits.MaxArtifactBytes, "the .keras archive's contents");
                        var h5 = Hdf5Reader.Open(bytes, $"'{name}' in the .keras archive");
                        files.Add(h5);
                        var found = new Dictionary<string, IH5Dataset>(StringComparer.Ordinal);
                        Hdf5Reader.Guard(name, () => Hdf5Reader.Datasets(h5, string.Empty, 0, limits.MaxShards * 64, found));
                        foreach (var (path, dataset) in found)
                        {
                            // Only layers' weights are read; every shard may carry its own copy of other state.
                            if (!path.StartsWith("layers/", StringComparison.Ordinal) && !path.StartsWith(LegacyLayersGroup + "/", StringComparison.Ordinal))
                                continue;
                            if (!datasets.TryAdd(path, (dataset, name)))
                                throw new ModelConversionException($"weight '{path}' is in both '{datasets[path].File}' and '{name}'");
                        }
                    }

                    return (config, Map(config.RootElement, datasets, limits));
                }
                finally
                {
                    foreach (var h5 in files)
                        h5.Dispose();
                }
            }
            catch
            {
                config.Dispose();
                throw;
            }
        }
    }

    /// <summary><c>model.weights.h5</c>, or the files a sharded weights map names (each a plain name inside the archive).</summary>
    static List<string> WeightFiles(ZipArchive zip, ArtifactLimits limits)
    {
        if (zip.GetEntry(WeightsEntry) is not null)
            return [WeightsEntry];
        var maps = zip.Entries.Where(e => e.FullName.EndsWith(".weights.json", StringComparison.Ordinal) && !e.FullName.Contains('/')).ToList();
        if (maps.Count == 0)
            return [];
        if (maps.Count > 1)
            throw new ModelConversionException($"the .keras archive has {maps.Count} weight maps " +
                $"({string.Join(", ", maps.Select(m => m.FullName))}); one is read");
        using var map = Parse(Entry(zip, maps[0].FullName, 64L * 1024 * 1024, limits)!, maps[0].FullName);
        if (!map.RootElement.TryGetProperty("weight_map", out var weightMap) || weightMap.ValueKind != JsonValueKind.Object)
            throw new ModelConversionException($"{maps[0].FullName} has no weight_map object");
        var names = new List<string>();
        foreach (var entry in weightMap.EnumerateObject())
        {
            var shards = entry.Value.ValueKind == JsonValueKind.Array ? entry.Value.EnumerateArray().ToList() : [entry.Value];
            foreach (var shard in shards)
            {
                var name = shard.ValueKind == JsonValueKind.String ? shard.GetString()! : throw new ModelConversionException(
                    $"{maps[0].FullName}: the shard of '{entry.Name}' is not a file name");
                if (name.Length is 0 or > 255 || name.Contains('/') || name.Contains('\\') || name is "." or ".." || name.Any(char.IsControl))
                    throw new ModelConversionException($"{maps[0].FullName}: shard name '{Cut(name)}' is refused (a plain file name in the " +
                        "archive is expected)");
                if (!names.Contains(name, StringComparer.Ordinal))
                    names.Add(name);
                if (names.Count > limits.MaxShards)
                    throw new ModelConversionException($"the weights are in more than {limits.MaxShards:N0} shards (the limit)");
            }
        }

        return names;
    }

    /// <summary>An entry's bytes, at most <paramref name="max"/> (checked on the declared size and again on what inflates); null when absent.</summary>
    static byte[]? Entry(ZipArchive zip, string name, long max, ArtifactLimits limits)
    {
        var entry = zip.GetEntry(name);
        if (entry is null)
            return null;
        limits.CheckBytes(entry.Length, max, $"'{name}' in the .keras archive");
        try
        {
            using var stream = entry.Open();
            var buffer = new MemoryStream((int)Math.Min(entry.Length, max));
            var chunk = new byte[81920];
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                limits.CheckBytes(buffer.Length + read, Math.Min(max, entry.Length), $"'{name}' in the .keras archive (as it inflates)");
                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new ModelConversionException($"'{name}' in the .keras archive cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Each layer's positional variables under its Keras 3 container name, as <c>layer/weight</c>.</summary>
    static Dictionary<string, KerasTensor> Map(JsonElement topology, Dictionary<string, (IH5Dataset Dataset, string File)> datasets, ArtifactLimits limits)
    {
        var prefix = datasets.Keys.Any(k => k.StartsWith("layers/", StringComparison.Ordinal))
            || !datasets.Keys.Any(k => k.StartsWith(LegacyLayersGroup + "/", StringComparison.Ordinal)) ? "layers" : LegacyLayersGroup;
        var weights = new Dictionary<string, KerasTensor>(StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        long parameters = 0;
        foreach (var layer in KerasWeightLayout.Layers(topology))
        {
            var type = Str(layer, "class_name");
            var name = LayerName(layer);
            var container = $"{prefix}/{KerasWeightLayout.ContainerName(type, used)}";
            foreach (var (path, names) in KerasWeightLayout.Of(type, layer.GetProperty("config")))
            {
                for (var i = 0; i < names.Length; i++)
                {
                    var key = $"{container}/{path}/{i}";
                    if (!datasets.TryGetValue(key, out var found))
                        throw new ModelConversionException($"layer {name} ({type}): its weight {names[i]} is not in the weights file (expected '{key}')");
                    taken.Add(key);
                    if (names[i].StartsWith(KerasWeightLayout.Skipped, StringComparison.Ordinal))
                        continue;
                    var tensor = Hdf5Reader.Guard(found.File, () => Hdf5Reader.Tensor(found.Dataset, key, limits));
                    limits.AddParameters(ref parameters, tensor.Values.Length);
                    weights[$"{name}/{names[i]}"] = tensor;
                    taken.Add(key);
                }
            }
        }

        var left = datasets.Keys.Where(k => k.StartsWith(prefix + "/", StringComparison.Ordinal) && !taken.Contains(k)
            && !k.Contains($"/{KerasWeightLayout.SeedGenerator}/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (left.Count > 0)
            throw new ModelConversionException($"the weights file holds weights no layer of config.json takes: {string.Join(", ", left.Take(5))}" +
                (left.Count > 5 ? $" and {left.Count - 5} more" : string.Empty));
        return weights;
    }

    static string Cut(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
