using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bus.Shared;

/// <summary>Options registered one way: bound to their section and checked by their validator at start.</summary>
static class OptionsRegistration
{
    /// <summary>Binds <typeparamref name="T"/> to <paramref name="section"/>, checked by <typeparamref name="TValidator"/> at start.</summary>
    public static OptionsBuilder<T> AddValidatedOptions<T, TValidator>(this IServiceCollection services, string section)
        where T : class
        where TValidator : class, IValidateOptions<T>
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, TValidator>());
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>
    /// A section needed while services are registered (which stages, which databases, which authentication schemes): bound
    /// for the container as <see cref="AddValidatedOptions{T, TValidator}"/> does, and also read now and checked at once by
    /// the same validator, so that a bad setting stops the host before anything starts and registration sees what every
    /// service will see.
    /// </summary>
    public static T ReadValidated<T, TValidator>(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration,
        string section)
        where T : class, new()
        where TValidator : class, IValidateOptions<T>, new()
    {
        services.AddValidatedOptions<T, TValidator>(section);
        var options = new T();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(section), options);
        var result = new TValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
            throw new OptionsValidationException(Options.DefaultName, typeof(T), result.Failures);
        return options;
    }
}
