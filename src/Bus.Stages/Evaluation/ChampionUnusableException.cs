namespace Bus.Stages.Evaluation;

/// <summary>The champion could not be measured and the model's policy fails the candidate for it. Permanent.</summary>
public sealed class ChampionUnusableException(string message, Exception inner) : Exception(message, inner);
