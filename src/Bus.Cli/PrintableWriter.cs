using System.Text;

namespace Bus.Cli;

/// <summary>
/// Everything the CLI prints goes through this: control characters (ESC and the rest, C1 controls, a carriage return
/// that could overwrite a line) become '?', so a model name, a reason or a message body written by a producer cannot
/// drive the operator's terminal. Line breaks and tabs pass.
/// </summary>
public sealed class PrintableWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public static char Clean(char c) => c is '\n' or '\t' ? c : char.IsControl(c) ? '?' : c;

    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return text ?? string.Empty;
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
            chars[i] = Clean(chars[i]);
        return new string(chars);
    }

    public override void Write(char value) => inner.Write(Clean(value));

    public override void Write(string? value) => inner.Write(Clean(value));

    public override void Write(char[] buffer, int index, int count) => inner.Write(Clean(new string(buffer, index, count)));

    public override void WriteLine(string? value) => inner.WriteLine(Clean(value));

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Flush();
        base.Dispose(disposing);
    }
}
