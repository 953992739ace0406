using PureHDF;
using PureHDF.VOL.Native;

namespace Bus.Ml.Keras;

/// <summary>
/// Reads the parts of an HDF5 file Keras writes (groups, float32 datasets, string attributes) with PureHDF, every
/// failure of a malformed file a <see cref="ModelConversionException"/> and every size checked against the limits.
/// </summary>
internal static class Hdf5Reader
{
    /// <summary>The superblock signature, at offset 0 or (after a user block) at 512, 1024, 2048 and so on.</summary>
    static ReadOnlySpan<byte> Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];

    /// <summary>Deepest group nesting read (Keras's deepest is layers/bidirectional/forward_layer/cell/vars).</summary>
    const int MaxDepth = 12;

    public static bool IsHdf5(ReadOnlySpan<byte> bytes)
    {
        for (var offset = 0; offset + Signature.Length <= bytes.Length && offset <= 1 << 20; offset = offset == 0 ? 512 : offset * 2)
        {
            if (bytes.Slice(offset, Signature.Length).SequenceEqual(Signature))
                return true;
        }

        return false;
    }

    /// <summary>Opens <paramref name="bytes"/> (already size-checked by the caller) as an HDF5 file named <paramref name="what"/>.</summary>
    public static NativeFile Open(byte[] bytes, string what)
    {
        if (!IsHdf5(bytes))
            throw new ModelConversionException($"{what} is not an HDF5 file (no HDF5 signature)");
        return Guard(what, () => H5File.Open(new MemoryStream(bytes, writable: false)));
    }

    /// <summary>
    /// Runs a read of a possibly hostile file: PureHDF reports a malformed file with whatever exception its parser
    /// meets, so everything but a conversion error is rewrapped as one naming the file. That includes an
    /// OutOfMemoryException: a damaged size field makes PureHDF ask for an array larger than .NET allows.
    /// </summary>
    public static void Guard(string what, Action read) => Guard(what, () =>
    {
        read();
        return true;
    });

    /// <inheritdoc cref="Guard(string, Action)"/>
    public static T Guard<T>(string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (OutOfMemoryException ex)
        {
            throw new ModelConversionException($"{what} is not a readable HDF5 file: it declares a structure too large to read ({ex.Message})", ex);
        }
        catch (Exception ex) when (ex is not ModelConversionException)
        {
            throw new ModelConversionException($"{what} is not a readable HDF5 file: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// A string-list attribute, read as Keras writes it: <c>name</c>, or when it outgrew an object header (64 KiB)
    /// <c>name0</c>, <c>name1</c>, … in order. Null when the object has neither.
    /// </summary>
    public static string[]? Strings(IH5Object obj, string name, string what)
    {
        if (obj.AttributeExists(name))
            return ReadStrings(obj.Attribute(name), name, what);
        if (!obj.AttributeExists(name + "0"))
            return null;
        var parts = new List<string>();
        for (var chunk = 0; obj.AttributeExists($"{name}{chunk}"); chunk++)
            parts.AddRange(ReadStrings(obj.Attribute($"{name}{chunk}"), $"{name}{chunk}", what));
        return [.. parts];
    }

    /// <summary>A scalar string attribute (fixed-length or variable-length); null when absent.</summary>
    public static string? String(IH5Object obj, string name, string what)
    {
        if (!obj.AttributeExists(name))
            return null;
        var attribute = obj.Attribute(name);
        if (attribute.Type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength))
            throw new ModelConversionException($"{what}: attribute '{name}' is not a string");
        return attribute.Space.Rank == 0 ? attribute.Read<string>() : string.Concat(attribute.Read<string[]>());
    }

    static string[] ReadStrings(IH5Attribute attribute, string name, string what)
    {
        // Keras writes an empty list as numpy's empty array: float64, no elements.
        if (attribute.Space.Rank > 0 && attribute.Space.Dimensions.Any(d => d == 0))
            return [];
        if (attribute.Type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength))
            throw new ModelConversionException($"{what}: attribute '{name}' is not a list of strings");
        return attribute.Space.Rank == 0 ? [attribute.Read<string>()] : attribute.Read<string[]>().Select(s => s.TrimEnd('\0')).ToArray();
    }

    /// <summary>A float32 dataset as a tensor, its element count checked before it is read.</summary>
    public static KerasTensor Tensor(IH5Dataset dataset, string path, ArtifactLimits limits)
    {
        var type = dataset.Type;
        if (type.Class != H5DataTypeClass.FloatingPoint || type.Size != 4)
            throw new ModelConversionException($"weight '{path}' is {Describe(type)}; only float32 weights are supported");
        var dims = dataset.Space.Dimensions.Select(d => d > int.MaxValue ? throw new ModelConversionException($"weight '{path}' is too large")
            : (long)d).ToArray();
        var count = dims.Length == 0 ? 1 : ArtifactLimits.Elements(dims, limits.MaxTensorElements, $"weight '{path}'");
        var values = dataset.Read<float[]>();
        if (values.Length != count)
            throw new ModelConversionException($"weight '{path}' holds {values.Length} values for shape [{string.Join(",", dims)}]");
        return new KerasTensor(dims.Select(d => (int)d).ToArray(), values);
    }

    static string Describe(IH5DataType type) => type.Class switch
    {
        H5DataTypeClass.FloatingPoint => $"a {type.Size * 8}-bit float",
        H5DataTypeClass.FixedPoint => $"a {type.Size * 8}-bit integer",
        var other => other.ToString(),
    };

    /// <summary>Every dataset under <paramref name="group"/>, by path relative to the file's root, at most <paramref name="maxDatasets"/>.</summary>
    public static void Datasets(IH5Group group, string path, int depth, int maxDatasets, Dictionary<string, IH5Dataset> into)
    {
        if (depth > MaxDepth)
            throw new ModelConversionException($"the weights file nests groups deeper than {MaxDepth} at '{path}'");
        foreach (var child in group.Children())
        {
            var childPath = path.Length == 0 ? child.Name : $"{path}/{child.Name}";
            switch (child)
            {
                case IH5Dataset dataset:
                    if (into.Count >= maxDatasets)
                        throw new ModelConversionException($"the weights file holds more than {maxDatasets:N0} datasets (the limit)");
                    into[childPath] = dataset;
                    break;
                case IH5Group inner:
                    Datasets(inner, childPath, depth + 1, maxDatasets, into);
                    break;
            }
        }
    }
}
