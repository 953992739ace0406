using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Bus.Testing;

/// <summary>
/// Defaults for every test bus. Stopping is bounded (consumers 15 s, the bus 30 s), so a consumer stuck at
/// shutdown fails its test instead of stalling the run. And what tests print: MassTransit's test harness logs every send and receive at Debug to the console,
/// which buries
/// the lines that explain a failure (a full run printed megabytes). Registered before the harness, this factory
/// prints warnings as one line (expected retries: a lost saga insert race) and errors with their stack trace.
/// </summary>
public static class TestDefaults
{
    /// <param name="inactivity">
    /// How long the harness waits without bus activity before a <c>Consumed.Any</c>-style look-up gives up. Tests whose
    /// consumers do seconds of database or model work between messages need more than MassTransit's 1.2 s on a loaded
    /// machine; a look-up that finds its message returns at once either way.
    /// </param>
    public static IServiceCollection AddTestDefaults(this IServiceCollection services, TimeSpan? inactivity = null, LogLevel minimum = LogLevel.Warning)
    {
        if (inactivity is { } quiet)
            services.AddOptions<TestHarnessOptions>().Configure(o => o.TestInactivityTimeout = quiet);
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.ConsumerStopTimeout = TimeSpan.FromSeconds(15);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
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
