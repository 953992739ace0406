using Bus.Contracts;
using Bus.Ml;

namespace Bus.Stages.Evaluation;

/// <summary>
/// A candidate's metrics, and the champion's on the same set: the champion is null where there is none, or where it
/// could not be measured (<see cref="ChampionProblem"/> then says why, and the candidate is judged on its own).
/// </summary>
public sealed record CandidateEvaluation(EvaluationResult Metrics, ChampionReference? Champion, string? ChampionProblem);
