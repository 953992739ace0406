using System.Diagnostics;

namespace Bus.Stages;

/// <summary>
/// The stages' spans: <c>evaluate MODEL VERSION</c> (the candidate and the champion it is compared with), <c>canary
/// MODEL VERSION</c> and <c>registry.promote MODEL</c>, each tagged with the model's name and version. Under them
/// Bus.Ml's spans: <c>S3.GetObject</c> per object read, <c>artifact.convert</c>, and <c>evaluate</c> with the samples.
/// </summary>
public static class StageTracing
{
    public const string SourceName = "Bus.Stages";

    internal static readonly ActivitySource Source = new(SourceName);

    internal static Activity? Start(string operation, string model, string? version, string? role = null)
    {
        var span = Source.StartActivity(version is null ? $"{operation} {model}" : $"{operation} {model} {version}");
        span?.SetTag("bus.model.name", model);
        span?.SetTag("bus.model.version", version);
        span?.SetTag("bus.role", role);
        return span;
    }
}
