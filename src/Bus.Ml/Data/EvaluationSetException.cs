namespace Bus.Ml.Data;

/// <summary>
/// The evaluation set cannot be read as its format says (damaged, of another shape, over a limit): the data's fault, not
/// the model's. Permanent: asking again gives the same answer.
/// </summary>
public sealed class EvaluationSetException(string message, Exception? inner = null) : Exception(message, inner);
