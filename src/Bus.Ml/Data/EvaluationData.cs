namespace Bus.Ml.Data;

/// <summary>
/// Samples in a batch: <see cref="Count"/> samples of <see cref="SampleSize"/> features each, end to end, and their
/// targets (a class index, a 0/1 label or regression values), <see cref="TargetWidth"/> per sample. A batch's arrays
/// are reused for the next one: it is valid until the next is read.
/// </summary>
public sealed record DataBatch(float[] Features, float[] Targets, int Count, int SampleSize, int TargetWidth);

/// <summary>
/// An evaluation set read batch by batch: each enumeration of <see cref="Batches"/> reads it again from the start (the
/// candidate and the champion are measured on the same samples), holding one batch at a time for the streamed formats.
/// </summary>
public abstract class EvaluationData : IDisposable
{
    public const string Json = "json";
    public const string TfRecord = "tfrecord";
    public const string Npz = "npz";
    public const string Csv = "csv";

    public static readonly IReadOnlyList<string> Formats = [Json, TfRecord, Npz, Csv];

    /// <summary>The format a key's extension names: .json, .tfrecord/.tfrecords/.tfr, .npz, .csv; null when it names none.</summary>
    public static string? FormatOf(string uri)
    {
        var key = uri.Split('?')[0];
        var dot = key.LastIndexOf('.');
        return (dot < 0 ? string.Empty : key[(dot + 1)..].ToLowerInvariant()) switch
        {
            "json" => Json,
            "tfrecord" or "tfrecords" or "tfr" => TfRecord,
            "npz" => Npz,
            "csv" => Csv,
            _ => null,
        };
    }

    /// <summary>The shape of one sample where the set declares it (Bus's JSON does); null when only its size is known.</summary>
    public virtual int[]? InputShape => null;

    /// <summary>The number of classes where the set declares it (Bus's JSON may); null otherwise.</summary>
    public virtual int? Classes => null;

    /// <summary>The samples in batches of at most <paramref name="batchSize"/>; problems in the data throw <see cref="ModelConversionException"/>.</summary>
    public abstract IEnumerable<DataBatch> Batches(int batchSize, CancellationToken cancellationToken = default);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>
    /// Opens the set in <paramref name="path"/> (a local copy) as <paramref name="format"/>, the input and label named
    /// by <paramref name="features"/> (TFRecord features, .npz arrays, CSV's label column).
    /// </summary>
    public static EvaluationData Open(string format, string path, DataFeatures features, ArtifactLimits limits) => format switch
    {
        Json => JsonEvaluationData.Parse(File.ReadAllBytes(path), limits),
        TfRecord => new TfRecordEvaluationData(path, features, limits),
        Npz => new NpzEvaluationData(path, features, limits),
        Csv => new CsvEvaluationData(path, features, limits),
        _ => throw new ModelConversionException($"unsupported evaluation data format '{format}' ({string.Join(", ", Formats)})"),
    };

    /// <summary>The next sample; a damaged archive (a .npz whose deflate stream is broken) is the set's fault, said as such.</summary>
    static bool Next(IEnumerator<(float[], float[])> reader, long sample)
    {
        try
        {
            return reader.MoveNext();
        }
        catch (InvalidDataException ex)
        {
            throw new ModelConversionException($"the evaluation set cannot be read at sample {sample}: {ex.Message}", ex);
        }
    }

    /// <summary>Batches from per-sample rows: used by the formats that read one sample at a time.</summary>
    protected static IEnumerable<DataBatch> Batched(IEnumerable<(float[] Features, float[] Targets)> samples, int batchSize, ArtifactLimits limits,
        CancellationToken cancellationToken)
    {
        float[]? features = null;
        float[]? targets = null;
        int count = 0, sampleSize = 0, targetWidth = 0;
        long total = 0;
        using var reader = samples.GetEnumerator();
        while (Next(reader, total))
        {
            var (x, y) = reader.Current;
            cancellationToken.ThrowIfCancellationRequested();
            if (features is null)
            {
                (sampleSize, targetWidth) = (x.Length, y.Length);
                if (sampleSize == 0)
                    throw new ModelConversionException("the evaluation set's first sample has no features");
                features = new float[batchSize * sampleSize];
                targets = new float[batchSize * targetWidth];
            }

            if (x.Length != sampleSize || y.Length != targetWidth)
                throw new ModelConversionException($"sample {total} has {x.Length} features and {y.Length} targets; the first had {sampleSize} and " +
                    $"{targetWidth}");
            if (++total > limits.MaxValidationSamples)
                throw new ModelConversionException($"the evaluation set has more than {limits.MaxValidationSamples:N0} samples (the limit)");
            x.CopyTo(features, count * sampleSize);
            y.CopyTo(targets!, count * targetWidth);
            if (++count == batchSize)
            {
                yield return new DataBatch(features, targets!, count, sampleSize, targetWidth);
                count = 0;
            }
        }

        if (total == 0)
            throw new ModelConversionException("the evaluation set has no samples");
        if (count > 0)
            yield return new DataBatch(features![..(count * sampleSize)], targets![..(count * targetWidth)], count, sampleSize, targetWidth);
    }
}

/// <summary>Which feature (TFRecord), array (.npz) or column (CSV) holds the model's input and which the label.</summary>
public sealed record DataFeatures(string Input = "x", string Label = "y")
{
    public static DataFeatures Default { get; } = new();
}
