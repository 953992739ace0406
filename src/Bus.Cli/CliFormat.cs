using System.Globalization;

namespace Bus.Cli;

/// <summary>How the commands print times for people: UTC, to the second, "-" for none.</summary>
static class CliFormat
{
    public static string Time(DateTimeOffset at) => at == default ? "-" : at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
