namespace Bus.Host.Apis;

/// <summary>One sample's answer: the most probable class and every class's probability.</summary>
public sealed record Prediction(int Label, float[] Probabilities);
