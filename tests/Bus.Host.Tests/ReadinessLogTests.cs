using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Bus.Host.Tests;

/// <summary>Readiness is logged as a failure only after the host has been ready once; starting up is not a failure.</summary>
public class When_readiness_is_observed
{
    sealed class Recorded : ILogger<ReadinessLog>
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }

    static HealthReport Report(HealthStatus bus, string description = "Not ready: not started") => new(new Dictionary<string, HealthReportEntry>
    {
        ["masstransit-bus"] = new(bus, description, TimeSpan.Zero, null, null),
        ["pipeline-database"] = new(HealthStatus.Healthy, null, TimeSpan.Zero, null, null),
    }, TimeSpan.Zero);

    [Fact]
    public void Should_say_start_up_at_information_and_a_later_failure_at_error_once_per_change()
    {
        var logger = new Recorded();
        var log = new ReadinessLog(logger);

        log.Observe(Report(HealthStatus.Unhealthy));
        log.Observe(Report(HealthStatus.Unhealthy));
        log.Observe(Report(HealthStatus.Healthy));
        log.Observe(Report(HealthStatus.Unhealthy, "the transport is down"));
        log.Observe(Report(HealthStatus.Unhealthy, "the transport is down"));

        logger.Lines.Select(l => l.Level).Should().Equal(LogLevel.Information, LogLevel.Error);
        logger.Lines[1].Text.Should().Contain("masstransit-bus").And.Contain("the transport is down");
    }
}
