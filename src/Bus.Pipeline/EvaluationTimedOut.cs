namespace Bus.Pipeline;

/// <summary>The saga's own timeout message for an evaluation request. Internal to the saga host.</summary>
public sealed record EvaluationTimedOut
{
    public required Guid ModelVersionId { get; init; }
    public required int Attempt { get; init; }
}
