namespace Bus.Stages;

/// <summary>Who is acting, for the audit trail: the host's name and process.</summary>
public sealed class StageIdentity(string hostName)
{
    public string Name { get; } = $"{hostName}@{Environment.MachineName}:{Environment.ProcessId}";
}
