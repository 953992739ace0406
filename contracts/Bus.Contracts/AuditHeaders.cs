namespace Bus.Contracts;

/// <summary>
/// Message headers the audit reads. A command an operator gives through a host's API or the CLI says which door it
/// came through (<see cref="ActorKind"/>: http or cli), so its record names an authenticated principal rather than a
/// message's claim. Only hosts and operators can send commands (IAM), so producers cannot set it.
/// </summary>
public static class AuditHeaders
{
    public const string ActorKind = "Bus-Actor-Kind";

    public const string Message = "message";
    public const string Http = "http";
    public const string Cli = "cli";
    public const string System = "system";

    /// <summary>
    /// The transport's channel headers (topic, SNS message id, SQS sender id) start with this; it sets them from what
    /// SQS and SNS say and drops any a sender wrote.
    /// </summary>
    public const string ChannelPrefix = "Bus-Channel-";
}
