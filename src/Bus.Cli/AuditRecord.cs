namespace Bus.Cli;

/// <summary>One line of `bus audit`: a transition of a model version with who, where, which artifact, which message and trace.</summary>
sealed record AuditRecord(
    DateTimeOffset At, string Model, string Version, Guid VersionId, string State, string Event, string? Actor, string? Host,
    string? ArtifactUri, string? ArtifactSha256, string? Detail, Guid? MessageId, string? TraceId);
