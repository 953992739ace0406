namespace Bus.Cli;

/// <summary>A usage error: the command line is wrong (exit 2), as opposed to a refusal or a failure (exit 1).</summary>
sealed class UsageException(string message) : Exception(message);
