using System.Globalization;

/// <summary>
/// One figure measured several times in the same process: README quotes the median with the spread (lowest–highest),
/// which is what <see cref="ToString(string)"/> prints, so a figure there is what a new user's run of the same command prints.
/// </summary>
sealed class Runs
{
    readonly List<double> _values = [];

    public int Count => _values.Count;

    /// <summary>The latest run's value.</summary>
    public double Last => _values[^1];

    public void Add(double value) => _values.Add(value);

    public double Median
    {
        get
        {
            var sorted = _values.Order().ToArray();
            return sorted.Length == 0 ? double.NaN
                : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    /// <summary>Each run's <paramref name="numerator"/> over the same run's <paramref name="denominator"/>: a ratio measured side by side.</summary>
    public static Runs Ratio(Runs numerator, Runs denominator)
    {
        var ratio = new Runs();
        foreach (var (a, b) in numerator._values.Zip(denominator._values))
            ratio.Add(a / b);
        return ratio;
    }

    /// <summary>"median (lowest–highest)" in <paramref name="format"/>.</summary>
    public string ToString(string format) => _values.Count == 1
        ? Text(_values[0], format)
        : $"{Text(Median, format)} ({Text(_values.Min(), format)}–{Text(_values.Max(), format)})";

    public override string ToString() => ToString("N0");

    static string Text(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The number of runs from <c>--runs N</c> among <paramref name="args"/> (3 when absent), and the other arguments.</summary>
    public static (int Count, string[] Others) Parse(string[] args)
    {
        var index = Array.IndexOf(args, "--runs");
        if (index < 0)
            return (3, args);
        if (index + 1 >= args.Length || !int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var runs) || runs < 1)
            throw new ArgumentException("--runs takes a whole number of at least 1");
        return (runs, [.. args[..index], .. args[(index + 2)..]]);
    }
}
