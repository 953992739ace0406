namespace Bus.Host.Apis;

/// <summary>The answers, with the version that gave them and its alias revision.</summary>
public sealed record PredictResponse(string ModelName, string ModelVersion, long AliasRevision, IReadOnlyList<Prediction> Predictions);
