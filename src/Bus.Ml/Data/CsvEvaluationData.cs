using System.Globalization;

namespace Bus.Ml.Data;

/// <summary>
/// A CSV file with a header row, streamed line by line: the label column is named by the policy (<see cref="DataFeatures.Label"/>),
/// every other column is an input feature, in the order of the header. Numbers are read in the invariant culture;
/// an empty or non-numeric cell fails the set with its line and column.
/// </summary>
public sealed class CsvEvaluationData(string path, DataFeatures names, ArtifactLimits limits) : EvaluationData
{
    /// <summary>The longest line read (a sample of a million short numbers fits); longer is refused before it is all held.</summary>
    const int MaxLineLength = 16 * 1024 * 1024;

    public override IEnumerable<DataBatch> Batches(int batchSize, CancellationToken cancellationToken = default) =>
        Batched(Samples(), batchSize, limits, cancellationToken);

    IEnumerable<(float[], float[])> Samples()
    {
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        var header = Line(reader, 1) ?? throw new ModelConversionException("the CSV file is empty (a header row is expected)");
        var columns = Split(header);
        var label = Array.IndexOf(columns, names.Label);
        if (label < 0)
            throw new ModelConversionException($"the CSV header has no column '{names.Label}' (the label, LabelFeature): " +
                $"{string.Join(",", columns.Take(10))}{(columns.Length > 10 ? ",…" : string.Empty)}");
        if (columns.Length < 2)
            throw new ModelConversionException("the CSV file has no feature columns besides the label");
        for (var number = 2; Line(reader, number) is { } line; number++)
        {
            if (line.Length == 0)
                continue;
            var cells = Split(line);
            if (cells.Length != columns.Length)
                throw new ModelConversionException($"CSV line {number} has {cells.Length} cells; the header has {columns.Length}");
            var features = new float[cells.Length - 1];
            var target = 0f;
            for (int c = 0, f = 0; c < cells.Length; c++)
            {
                if (!float.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw new ModelConversionException($"CSV line {number}, column '{columns[c]}': '{Cut(cells[c])}' is not a number");
                if (c == label)
                    target = value;
                else
                    features[f++] = value;
            }

            yield return (features, [target]);
        }
    }

    /// <summary>
    /// One line (without its \n or \r\n), read a character at a time from the reader's buffer, so that a file of
    /// one endless line is refused at the limit rather than held whole.
    /// </summary>
    static string? Line(StreamReader reader, int number)
    {
        var line = new System.Text.StringBuilder();
        int c;
        while ((c = reader.Read()) >= 0)
        {
            if (c == '\n')
                return line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();
            if (line.Length == MaxLineLength)
                throw new ModelConversionException($"CSV line {number} is longer than {MaxLineLength:N0} characters");
            line.Append((char)c);
        }

        return line.Length > 0 ? line.ToString() : null;
    }

    static string[] Split(string line) => line.Split(',').Select(cell => cell.Trim() is ['"', .. var inner, '"'] ? inner : cell.Trim()).ToArray();

    static string Cut(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
