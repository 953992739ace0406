namespace Bus.Ml;

/// <summary>The artifact could not be read right now (network, throttling, 5xx): worth retrying.</summary>
public sealed class ArtifactUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
