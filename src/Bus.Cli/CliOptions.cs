using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Bus.Cli;

/// <summary>The kinds of option the commands share: a JSON switch, required text with the reason, whole numbers, times.</summary>
static class CliOptions
{
    public static Option<bool> Json(string what) => new("--json") { Description = $"{what} as JSON" };

    /// <summary>
    /// Text the command cannot do without. Checked by the command so that the error says why it is needed (every
    /// transition is audited with who asked, ...), not only that it is missing.
    /// </summary>
    public static Option<string> Required(Command command, string name, string helpName, string description, string why)
    {
        var option = new Option<string>(name) { Description = $"(required) {description}", HelpName = helpName };
        command.Options.Add(option);
        command.Validators.Add(result =>
        {
            // Given without a value is System.CommandLine's own error; given as blanks or not at all is this one.
            if (result.GetResult(option) is not { } given || (given.Tokens.Count > 0 && string.IsNullOrWhiteSpace(ValueOrDefault(result, option))))
                result.AddError($"{name} is required: {why}");
        });
        return option;
    }

    /// <summary>
    /// The value of <paramref name="option"/> for a command validator, or the default when it was not given or did not
    /// parse (its own error is reported already; System.CommandLine throws when asked for a value that failed).
    /// </summary>
    public static T? ValueOrDefault<T>(SymbolResult result, Option<T> option)
    {
        try
        {
            return result.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return default;
        }
    }

    /// <summary>A whole number no smaller than <paramref name="minimum"/>; the error names the option and what it takes.</summary>
    public static Option<int> WholeNumber(string name, string helpName, string description, int minimum, Func<int>? defaultValue = null)
    {
        var option = new Option<int>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= minimum)
                    return n;
                result.AddError($"{name} takes a whole number{(minimum > 0 ? $" of at least {minimum}" : "")}, not '{text}'");
                return default;
            },
        };
        if (defaultValue is not null)
            option.DefaultValueFactory = _ => defaultValue();
        return option;
    }

    /// <summary>An ISO 8601 time (a date alone is midnight UTC; no offset means UTC).</summary>
    public static Option<DateTimeOffset?> Time(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "time",
        CustomParser = result => ParseTime(result, name),
    };

    static DateTimeOffset? ParseTime(ArgumentResult result, string name)
    {
        var text = result.Tokens[0].Value;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var at))
            return at;
        result.AddError($"{name} takes an ISO 8601 time such as 2026-11-24 or 2026-11-24T08:00:00Z, not '{text}'");
        return null;
    }

    /// <summary>One of a few words (tab completion offers them; anything else is a usage error).</summary>
    public static Option<string> OneOf(string name, string description, string defaultValue, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, HelpName = string.Join('|', values), DefaultValueFactory = _ => defaultValue };
        option.AcceptOnlyFromAmong(values);
        return option;
    }
}
