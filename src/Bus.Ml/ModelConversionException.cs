namespace Bus.Ml;

/// <summary>
/// A model cannot be used as it is (corrupt model.json, missing shard, unsupported layer or dtype, shape
/// mismatch). Permanent: asking again gives the same answer.
/// </summary>
public sealed class ModelConversionException(string message, Exception? inner = null) : Exception(message, inner);
