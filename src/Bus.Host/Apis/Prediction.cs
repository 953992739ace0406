namespace Bus.Host.Apis;

/// <summary>One sample's answer: the most probable class and every class's probability.</summary>
/// <param name="PredictionId">
/// During a rollout: sent back with the true label (<c>POST /models/{name}/feedback</c>) to measure the version live; null outside one.
/// </param>
public sealed record Prediction(int Label, float[] Probabilities, Guid? PredictionId);
