using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Bus.Testing;

/// <summary>
/// What tests print: MassTransit's test harness logs every send and receive at Debug to the console, which buries
/// the lines that explain a failure (a full run printed megabytes). Registered before the harness, this factory
/// prints warnings as one line (expected retries: a lost saga insert race) and errors with their stack trace.
/// </summary>
public static class TestLogging
{
    public static IServiceCollection AddCompactTestLogging(this IServiceCollection services, LogLevel minimum = LogLevel.Warning)
    {
        services.RemoveAll<ILoggerFactory>();
        services.AddSingleton<ILoggerFactory>(new CompactConsoleLoggerFactory(minimum));
        services.TryAdd(ServiceDescriptor.Singleton(typeof(ILogger<>), typeof(Logger<>)));
        return services;
    }

    sealed class CompactConsoleLoggerFactory(LogLevel minimum) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new CompactConsoleLogger(categoryName, minimum);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    sealed class CompactConsoleLogger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel.ToString()[..4].ToUpperInvariant()} {category}: {formatter(state, exception)}";
            if (exception is not null)
                line += logLevel >= LogLevel.Error ? Environment.NewLine + exception : $" ({exception.GetType().Name}: {FirstLine(exception.Message)})";
            Console.Out.WriteLine(line);
        }

        static string FirstLine(string text)
        {
            var end = text.IndexOf('\n', StringComparison.Ordinal);
            return end < 0 ? text : text[..end].TrimEnd();
        }
    }
}
