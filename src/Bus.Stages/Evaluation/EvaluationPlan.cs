namespace Bus.Stages.Evaluation;

/// <summary>What an evaluation runs on, as the policy decides it: the set (and whether the producer chose it), its format and the task.</summary>
public sealed record EvaluationPlan(string SetUri, bool ProducerSupplied, string Format, string Task);
