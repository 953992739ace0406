namespace Bus.Cli.Tests;

public class When_the_cli_prints_what_producers_wrote
{
    [Fact]
    public void Should_turn_terminal_escapes_and_carriage_returns_into_question_marks()
    {
        using var text = new StringWriter();
        using var writer = new PrintableWriter(text);

        writer.WriteLine("digits \u001b[2J\u001b]0;owned\u0007 fine\rspoofed\u009b\ttab");

        text.ToString().Should().Be("digits ?[2J?]0;owned? fine?spoofed?\ttab" + Environment.NewLine);
    }

    [Fact]
    public void Should_keep_line_breaks_and_plain_text() =>
        PrintableWriter.Clean("one\ntwo — ünïcode").Should().Be("one\ntwo — ünïcode");
}

public class When_the_audit_is_exported_as_csv
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2", "'-2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tcmd", "'\tcmd")]
    public void Should_neutralise_a_field_a_spreadsheet_would_run_as_a_formula(string value, string expected) =>
        AuditCommand.Field(value).Should().Be(expected);

    [Theory]
    [InlineData("digits", "digits")]
    [InlineData("a, b", "\"a, b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    public void Should_quote_as_RFC_4180_says(string value, string expected) =>
        AuditCommand.Field(value).Should().Be(expected);
}
