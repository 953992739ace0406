namespace Bus.Cli;

/// <summary>Prints rows as aligned columns: the first <c>leftColumns</c> left-aligned (text), the rest right-aligned (numbers).</summary>
static class TextTable
{
    public static void Write(string[] header, IEnumerable<string[]> rows, int leftColumns = int.MaxValue)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
            Console.WriteLine(string.Join("  ", row.Select((cell, i) => i < leftColumns ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
    }
}
