using Microsoft.Extensions.Options;

namespace Bus.Shared;

/// <summary>
/// How every options class is checked: one validator per section that lists each bad setting by its full name, run at
/// start (<c>ValidateOnStart</c>), so that a host with a bad setting refuses to start and names it. Compiled into the
/// projects that own options.
/// </summary>
abstract class OptionsValidator<T> : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var errors = Failures(options).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>One sentence per bad setting, naming it (<c>Bus:Section:Key</c>) and what it must be.</summary>
    protected abstract IEnumerable<string> Failures(T options);
}
