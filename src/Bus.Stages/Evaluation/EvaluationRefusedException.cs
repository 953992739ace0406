namespace Bus.Stages.Evaluation;

/// <summary>
/// The evaluation policy refuses the request: the artifact or the producer's data lies outside the locations allowed
/// for them, the announcement contradicts the task the policy fixes, or the set's format cannot be told. Permanent.
/// </summary>
public sealed class EvaluationRefusedException(string message) : Exception(message);
