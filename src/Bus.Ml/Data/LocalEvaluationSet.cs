namespace Bus.Ml.Data;

/// <summary>
/// An evaluation set copied from S3 to a local file (bounded by the set-size limit) and opened for reading batch by
/// batch; disposing it closes the reader and deletes the copy, whatever happened in between.
/// </summary>
public sealed class LocalEvaluationSet : IDisposable
{
    readonly string _file;

    LocalEvaluationSet(string file, EvaluationData data)
    {
        _file = file;
        Data = data;
    }

    public EvaluationData Data { get; }

    /// <summary>
    /// Copies <paramref name="uri"/> into <paramref name="workDirectory"/> (the system's temp folder when null) and opens it
    /// as <paramref name="format"/>; a set that cannot be read is an <see cref="EvaluationSetException"/> naming it.
    /// </summary>
    public static async Task<LocalEvaluationSet> CopyAsync(S3ArtifactStore store, string uri, string format, string? workDirectory, DataFeatures features,
        ArtifactLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(limits);
        var directory = workDirectory is { Length: > 0 } work ? Directory.CreateDirectory(work).FullName : Path.GetTempPath();
        var file = Path.Combine(directory, $"bus-evaluation-{Guid.NewGuid():N}.{format}");
        try
        {
            await store.DownloadAsync(uri, file, limits.MaxDataSetBytes, cancellationToken).ConfigureAwait(false);
            try
            {
                return new LocalEvaluationSet(file, EvaluationData.Open(format, file, features, limits));
            }
            catch (ModelConversionException ex)
            {
                throw new EvaluationSetException($"the evaluation set {uri}: {ex.Message}", ex);
            }
        }
        catch
        {
            File.Delete(file);
            throw;
        }
    }

    public void Dispose()
    {
        Data.Dispose();
        File.Delete(_file);
    }
}
