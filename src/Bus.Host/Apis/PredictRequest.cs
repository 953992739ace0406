namespace Bus.Host.Apis;

/// <summary>
/// POST /models/{name}/predict: one or more samples, each the model's input flattened; <see cref="Shape"/> is the
/// samples' shape, required by a model whose input has open dimensions (a fully convolutional one), checked otherwise.
/// </summary>
public sealed record PredictRequest(float[][] Instances, int[]? Shape = null);
