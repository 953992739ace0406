namespace Bus.Stages.Lifecycle;

/// <summary>
/// A known version announced again with another artifact. An <see cref="ArgumentException"/>: the lifecycle's retry does
/// not retry it (asking again gives the same answer), so the announcement goes straight to <c>model-lifecycle_error</c>.
/// </summary>
public sealed class ReannouncementRefusedException(string message) : ArgumentException(message);
