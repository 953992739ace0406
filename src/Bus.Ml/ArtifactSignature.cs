using Bus.Contracts;
using Bus.Ml.Keras;

namespace Bus.Ml;

/// <summary>
/// Checks that an artifact's bytes are what its announced <c>artifactFormat</c> says (a zip for keras, HDF5 for
/// keras-h5, JSON for tfjs-layers' model.json, none of these for onnx), so that a mislabelled file fails with the
/// format it really is rather than with a parser's complaint.
/// </summary>
public static class ArtifactSignature
{
    /// <summary>What the bytes look like: "zip", "HDF5", "JSON" or null (none of them, as an ONNX protobuf is).</summary>
    public static string? Kind(ReadOnlySpan<byte> bytes)
    {
        if (KerasArchive.IsZip(bytes))
            return "zip";
        if (Hdf5Reader.IsHdf5(bytes))
            return "HDF5";
        var text = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? bytes[3..] : bytes;
        foreach (var b in text)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                continue;
            return b == '{' ? "JSON" : null;
        }

        return null;
    }

    /// <summary>Throws a <see cref="ModelConversionException"/> when the file's signature does not match <paramref name="format"/>.</summary>
    public static void Check(string format, ReadOnlySpan<byte> bytes)
    {
        var kind = Kind(bytes);
        var expected = format switch
        {
            ArtifactFormats.Keras => "zip",
            ArtifactFormats.KerasH5 => "HDF5",
            ArtifactFormats.TfjsLayers => "JSON",
            ArtifactFormats.Onnx => null,
            _ => throw new ModelConversionException($"unsupported artifact format '{format}' ({string.Join(", ", ArtifactFormats.All)})"),
        };
        if (kind == expected)
            return;
        var actually = kind switch
        {
            "zip" => $"a zip archive (a .keras file: announce '{ArtifactFormats.Keras}')",
            "HDF5" => $"an HDF5 file (a legacy .h5 model: announce '{ArtifactFormats.KerasH5}')",
            "JSON" => $"JSON (a TF.js model.json: announce '{ArtifactFormats.TfjsLayers}')",
            _ => "none of zip, HDF5 or JSON (an ONNX file has no signature of its own: announce 'onnx' for one)",
        };
        throw new ModelConversionException($"artifactFormat is '{format}' but the file is {actually}");
    }
}
