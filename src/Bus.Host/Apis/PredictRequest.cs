namespace Bus.Host.Apis;

/// <summary>POST /models/{name}/predict: one or more samples, each the model's input flattened.</summary>
public sealed record PredictRequest(float[][] Instances);
