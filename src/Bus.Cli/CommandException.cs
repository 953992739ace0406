namespace Bus.Cli;

/// <summary>A refusal or failure the operator must read (exit 1): unknown version, wrong state, unreachable database.</summary>
sealed class CommandException(string message) : Exception(message);
