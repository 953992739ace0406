using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Bus.Ml.Data;

/// <summary>
/// A NumPy <c>.npz</c> (<c>np.savez("set.npz", x=features, y=labels)</c>): a zip of <c>.npy</c> arrays, the input and
/// the label named by the policy. Both arrays are streamed sample by sample from the archive (stored or deflated).
/// The <c>.npy</c> header (format 1.0 to 3.0) gives the dtype (little-endian floats, integers, booleans), the order
/// (C order only) and the shape, whose first axis is the samples.
/// </summary>
public sealed partial class NpzEvaluationData(string path, DataFeatures names, ArtifactLimits limits) : EvaluationData
{
    public override IEnumerable<DataBatch> Batches(int batchSize, CancellationToken cancellationToken = default) =>
        Batched(Samples(), batchSize, limits, cancellationToken);

    IEnumerable<(float[], float[])> Samples()
    {
        using var inputs = new NpyStream(path, names.Input, limits);
        using var labels = new NpyStream(path, names.Label, limits);
        if (inputs.Samples != labels.Samples)
            throw new ModelConversionException($"the .npz's '{names.Input}' has {inputs.Samples:N0} samples, '{names.Label}' {labels.Samples:N0}");
        for (long i = 0; i < inputs.Samples; i++)
            yield return (inputs.Next(), labels.Next());
    }

    /// <summary>One array of the archive, read a sample (one index of the first axis) at a time.</summary>
    sealed class NpyStream : IDisposable
    {
        readonly ZipArchive _zip;
        readonly Stream _stream;
        readonly byte[] _buffer;
        readonly int _itemSize;
        readonly char _kind;
        readonly string _name;

        public NpyStream(string path, string name, ArtifactLimits limits)
        {
            _name = name;
            try
            {
                _zip = new ZipArchive(File.OpenRead(path), ZipArchiveMode.Read);
            }
            catch (InvalidDataException ex)
            {
                throw new ModelConversionException($"the .npz is not a readable zip archive: {ex.Message}", ex);
            }

            var entry = _zip.GetEntry(name + ".npy") ?? throw new ModelConversionException(
                $"the .npz has no array '{name}' (it has {string.Join(", ", _zip.Entries.Take(10).Select(e => Path.GetFileNameWithoutExtension(e.Name)))})");
            _stream = entry.Open();
            var (descr, fortran, shape) = Header(_stream, name);
            if (fortran)
                throw new ModelConversionException($"the .npz's '{name}' is in Fortran order; C order is read");
            if (shape.Length == 0)
                throw new ModelConversionException($"the .npz's '{name}' is a scalar; its first axis must be the samples");
            Samples = shape[0];
            var perSample = shape.Length == 1 ? 1 : ArtifactLimits.Elements(shape.Skip(1), limits.MaxTensorElements, $"one sample of '{name}'");
            (_kind, _itemSize) = Dtype(descr, name);
            _buffer = new byte[checked((int)(perSample * _itemSize))];
            Width = (int)perSample;
        }

        public long Samples { get; }

        public int Width { get; }

        public float[] Next()
        {
            if (_stream.ReadAtLeast(_buffer, _buffer.Length, throwOnEndOfStream: false) < _buffer.Length)
                throw new ModelConversionException($"the .npz's '{_name}' ends before its shape says (truncated)");
            var values = new float[Width];
            var span = _buffer.AsSpan();
            for (var i = 0; i < values.Length; i++)
            {
                var item = span.Slice(i * _itemSize, _itemSize);
                values[i] = (_kind, _itemSize) switch
                {
                    ('f', 4) => BinaryPrimitives.ReadSingleLittleEndian(item),
                    ('f', 8) => (float)BinaryPrimitives.ReadDoubleLittleEndian(item),
                    ('f', 2) => (float)BinaryPrimitives.ReadHalfLittleEndian(item),
                    ('i', 1) => (sbyte)item[0],
                    ('i', 2) => BinaryPrimitives.ReadInt16LittleEndian(item),
                    ('i', 4) => BinaryPrimitives.ReadInt32LittleEndian(item),
                    ('i', 8) => BinaryPrimitives.ReadInt64LittleEndian(item),
                    ('u' or 'b', 1) => item[0],
                    ('u', 2) => BinaryPrimitives.ReadUInt16LittleEndian(item),
                    ('u', 4) => BinaryPrimitives.ReadUInt32LittleEndian(item),
                    ('u', 8) => BinaryPrimitives.ReadUInt64LittleEndian(item),
                    _ => throw new InvalidOperationException("checked in Dtype"),
                };
            }

            return values;
        }

        public void Dispose()
        {
            _stream?.Dispose();
            _zip.Dispose();
        }
    }

    static (char Kind, int Size) Dtype(string descr, string name)
    {
        var match = DtypePattern().Match(descr);
        if (!match.Success || match.Groups[1].Value == ">" && match.Groups[3].Value != "1")
            throw new ModelConversionException($"the .npz's '{name}' has dtype '{descr}'; little-endian floats, integers and booleans are read");
        var kind = match.Groups[2].Value[0];
        var size = int.Parse(match.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        var known = kind switch
        {
            'f' => size is 2 or 4 or 8,
            'i' or 'u' => size is 1 or 2 or 4 or 8,
            _ => size == 1,
        };
        return known ? (kind, size) : throw new ModelConversionException($"the .npz's '{name}' has dtype '{descr}', which is not read");
    }

    /// <summary>The .npy header: magic, version, header length (2 bytes in 1.0, 4 after), then a Python dict literal.</summary>
    static (string Descr, bool Fortran, long[] Shape) Header(Stream stream, string name)
    {
        var start = new byte[10];
        if (stream.ReadAtLeast(start, 10, throwOnEndOfStream: false) < 10 || start[0] != 0x93 || Encoding.ASCII.GetString(start, 1, 5) != "NUMPY")
            throw new ModelConversionException($"the .npz's '{name}' is not a .npy array (no NUMPY magic)");
        int length;
        if (start[6] == 1)
            length = BinaryPrimitives.ReadUInt16LittleEndian(start.AsSpan(8));
        else
        {
            var rest = new byte[2];
            stream.ReadExactly(rest);
            length = checked((int)BinaryPrimitives.ReadUInt32LittleEndian([start[8], start[9], rest[0], rest[1]]));
        }

        if (length > 1 << 16)
            throw new ModelConversionException($"the .npz's '{name}' has a {length:N0}-byte header; at most 65,536 are read");
        var header = new byte[length];
        if (stream.ReadAtLeast(header, length, throwOnEndOfStream: false) < length)
            throw new ModelConversionException($"the .npz's '{name}' ends inside its header");
        var text = Encoding.Latin1.GetString(header);
        var descr = DescrPattern().Match(text);
        var shape = ShapePattern().Match(text);
        if (!descr.Success || !shape.Success)
            throw new ModelConversionException($"the .npz's '{name}' has a header this reader cannot read: {text.Trim()[..Math.Min(120, text.Trim().Length)]}");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d, out var v) && v >= 0 ? v : throw new ModelConversionException($"the .npz's '{name}' has dimension '{d}'")).ToArray();
        return (descr.Groups[1].Value, FortranPattern().IsMatch(text), dims);
    }

    [GeneratedRegex(@"^([<>|=]?)([fiub])(\d+)$")]
    private static partial Regex DtypePattern();

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*True")]
    private static partial Regex FortranPattern();
}
