namespace Bus.Stages;

/// <summary>
/// What a stage's registration needs from its host to build its own dependencies: the host's name (the audit trail's
/// actor and the serving queue's name), where the model registry and the pipeline database live, and the AWS settings
/// for the artifact store.
/// </summary>
public sealed record StageSettings(string HostName, string RegistryConnectionString)
{
    /// <summary>The pipeline database (saga, inbox/outbox, audit): the lifecycle stage keeps its saga there.</summary>
    public string? PipelineConnectionString { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>An emulator's URL for S3; null for AWS itself.</summary>
    public Uri? ServiceUrl { get; init; }

    /// <summary>The resource prefix of this pipeline (<c>Bus:Aws:Scope</c>); null for none.</summary>
    public string? Scope { get; init; }
}
