using System.Buffers.Binary;
using System.Numerics;
using Google.Protobuf;

namespace Bus.Ml.Data;

/// <summary>
/// A TFRecord file of <c>tf.train.Example</c>s, streamed record by record. Framing (TensorFlow's record_writer): a
/// little-endian uint64 length, the masked CRC-32C of those 8 bytes, the record, the masked CRC-32C of the record;
/// both CRCs are checked. Of each Example only the input and label features are read (float_list or int64_list), the
/// rest is skipped; a record is never larger than the limit on one tensor's worth of bytes.
/// </summary>
public sealed class TfRecordEvaluationData(string path, DataFeatures names, ArtifactLimits limits) : EvaluationData
{
    const uint MaskDelta = 0xa282ead8;

    public override IEnumerable<DataBatch> Batches(int batchSize, CancellationToken cancellationToken = default) =>
        Batched(Samples(), batchSize, limits, cancellationToken);

    IEnumerable<(float[], float[])> Samples()
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var header = new byte[12];
        var footer = new byte[4];
        var buffer = Array.Empty<byte>();
        long offset = 0;
        for (var index = 0L; ; index++)
        {
            var got = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (got == 0)
                yield break;
            if (got < header.Length)
                throw new ModelConversionException($"TFRecord record {index} at byte {offset}: the file ends inside its header (truncated)");
            var length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            if (Masked(header.AsSpan(0, 8)) != BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)))
                throw new ModelConversionException($"TFRecord record {index} at byte {offset}: the length's CRC does not match (not a TFRecord " +
                    "file, or corrupt)");
            var max = Math.Min(limits.MaxTensorElements * 8 + 4096, 256L * 1024 * 1024);
            if (length > (ulong)max)
                throw new ModelConversionException($"TFRecord record {index} is {length:N0} bytes; at most {max:N0} are read");
            if (buffer.Length < (int)length)
                buffer = new byte[Math.Max((int)length, buffer.Length * 2)];
            if (file.ReadAtLeast(buffer.AsSpan(0, (int)length), (int)length, throwOnEndOfStream: false) < (int)length
                || file.ReadAtLeast(footer, 4, throwOnEndOfStream: false) < 4)
                throw new ModelConversionException($"TFRecord record {index} at byte {offset}: the file ends inside the record (truncated)");
            if (Masked(buffer.AsSpan(0, (int)length)) != BinaryPrimitives.ReadUInt32LittleEndian(footer))
                throw new ModelConversionException($"TFRecord record {index} at byte {offset}: the data's CRC does not match (corrupt)");
            offset += 16 + (long)length;
            yield return Example(new CodedInputStream(buffer, 0, (int)length), index);
        }
    }

    /// <summary>TensorFlow's masked CRC-32C: rotated right by 15 bits, plus a constant.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + MaskDelta;
    }

    /// <summary>CRC-32C (Castagnoli), with the processor's instruction where there is one.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++)
            crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }

    /// <summary>
    /// The input and label of one Example: <c>Example{features=1: Features{feature=1: map&lt;string, Feature&gt;}}</c>,
    /// <c>Feature{bytes_list=1 | float_list=2 | int64_list=3}</c>, the lists' values in field 1 (packed or not).
    /// </summary>
    (float[], float[]) Example(CodedInputStream example, long index)
    {
        float[]? input = null, label = null;
        try
        {
            while (example.ReadTag() is var tag and not 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) != 1 || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
                {
                    example.SkipLastField();
                    continue;
                }

                var features = new CodedInputStream(example.ReadBytes().ToByteArray());
                while (features.ReadTag() is var entryTag and not 0)
                {
                    if (WireFormat.GetTagFieldNumber(entryTag) != 1)
                    {
                        features.SkipLastField();
                        continue;
                    }

                    var (name, values) = Entry(new CodedInputStream(features.ReadBytes().ToByteArray()));
                    if (name == names.Input)
                        input = values;
                    else if (name == names.Label)
                        label = values;
                }
            }
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelConversionException($"TFRecord record {index} is not a tf.train.Example: {ex.Message}", ex);
        }

        return (input ?? throw new ModelConversionException($"TFRecord record {index} has no feature '{names.Input}' (the input, Bus:Evaluation " +
                "InputFeature)"),
            label ?? throw new ModelConversionException($"TFRecord record {index} has no feature '{names.Label}' (the label, LabelFeature)"));
    }

    /// <summary>One map entry: key=1 (string), value=2 (Feature); values read only for the two named features.</summary>
    (string? Name, float[]? Values) Entry(CodedInputStream entry)
    {
        string? name = null;
        ByteString? feature = null;
        while (entry.ReadTag() is var tag and not 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    name = entry.ReadString();
                    break;
                case 2:
                    feature = entry.ReadBytes();
                    break;
                default:
                    entry.SkipLastField();
                    break;
            }
        }

        if (name != names.Input && name != names.Label || feature is null)
            return (name, null);
        var kind = new CodedInputStream(feature.ToByteArray());
        while (kind.ReadTag() is var tag and not 0)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            if (field is 2 or 3)
                return (name, List(new CodedInputStream(kind.ReadBytes().ToByteArray()), floats: field == 2, name));
            if (field == 1)
                throw new ModelConversionException($"feature '{name}' is a bytes_list; a float_list or int64_list is expected");
            kind.SkipLastField();
        }

        return (name, []);
    }

    float[] List(CodedInputStream list, bool floats, string name)
    {
        var values = new List<float>();
        while (list.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1)
            {
                list.SkipLastField();
                continue;
            }

            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                var packed = new CodedInputStream(list.ReadBytes().ToByteArray());
                while (!packed.IsAtEnd)
                    values.Add(floats ? packed.ReadFloat() : packed.ReadInt64());
            }
            else
                values.Add(floats ? list.ReadFloat() : list.ReadInt64());
            if (values.Count > limits.MaxTensorElements)
                throw new ModelConversionException($"feature '{name}' has more than {limits.MaxTensorElements:N0} values (the limit)");
        }

        return [.. values];
    }
}
