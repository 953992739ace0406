using Bus.Contracts;
using MassTransit;

namespace Bus.Pipeline;

// Announced and Evaluating: a valid announcement asks for an evaluation; the evaluation's answer goes through the gate.
public sealed partial class ModelLifecycleStateMachine
{
    void WhenAnnounced() =>
        Initially(
            When(TrainingCompleted, ctx => AnnouncementRules.Validate(ctx.Message) is null)
                .Then(ctx => Accept(ctx.Saga, ctx.Message))
                .Then(ctx => ctx.Saga.EvaluationAttempts = 1)
                .Send(_evaluateAddress, ctx => LifecycleMessages.Evaluate(ctx.Saga))
                .Schedule(EvaluationTimeout, ctx => LifecycleMessages.EvaluationTimer(ctx.Saga))
                .TransitionTo(Evaluating)
                .Audit(_max, ctx => ctx.Message.Producer, ctx => LifecycleAuditTexts.Announced(ctx.Message)),
            When(TrainingCompleted, ctx => AnnouncementRules.Validate(ctx.Message) is not null)
                .Then(ctx =>
                {
                    Accept(ctx.Saga, ctx.Message);
                    ctx.Saga.Reason = $"invalid training-complete: {AnnouncementRules.Validate(ctx.Message)}";
                })
                .TransitionTo(Failed)
                .Audit(_max, ctx => ctx.Message.Producer, ctx => ctx.Saga.Reason));

    void DuringEvaluating() =>
        During(Evaluating,
            When(ModelEvaluated)
                .Unschedule(EvaluationTimeout)
                .Then(ctx => Record(ctx.Saga, ctx.Message))
                .IfElse(ctx => Gate(ctx).Approved,
                    approved => approved
                        .Then(ctx =>
                        {
                            ctx.Saga.Policy = Gate(ctx).Policy;
                            ctx.Saga.FourEyes = Gate(ctx).FourEyes;
                        })
                        .IfElse(ctx => Gate(ctx).RequiresApproval,
                            wait => wait
                                .Then(ctx => ctx.Saga.ApprovalDeadline = DateTimeOffset.UtcNow + _options.ApprovalTimeout)
                                .Schedule(StageTimeout, ctx => LifecycleMessages.StageTimer(ctx.Saga, LifecycleStates.AwaitingApproval),
                                    ctx => ApprovalDelay(ctx.Saga))
                                .TransitionTo(AwaitingApproval)
                                .Audit(_max, ctx => ctx.Message.Evaluator, ctx => LifecycleAuditTexts.Evaluated(ctx.Message,
                                    $"{Gate(ctx).Summary}; awaiting an operator's approval until {ctx.Saga.ApprovalDeadline:u}")),
                            deploy => Promote(deploy)
                                .Audit(_max, ctx => ctx.Message.Evaluator, ctx => LifecycleAuditTexts.Evaluated(ctx.Message, Gate(ctx).Summary))),
                    rejected => rejected
                        .Then(ctx => ctx.Saga.Reason = Gate(ctx).Summary)
                        .Publish(ctx => LifecycleMessages.GateRejection(ctx.Saga, Gate(ctx), ctx.Message.Champion))
                        .TransitionTo(Rejected)
                        .Audit(_max, ctx => ctx.Message.Evaluator, ctx => LifecycleAuditTexts.Evaluated(ctx.Message, ctx.Saga.Reason!))),
            When(EvaluationFailed, ctx => ctx.Message.Permanent)
                .Unschedule(EvaluationTimeout)
                .Then(ctx => ctx.Saga.Reason = $"evaluation failed: {ctx.Message.Reason}")
                .TransitionTo(Failed)
                .Audit(_max, ctx => ctx.Message.Evaluator, ctx => ctx.Saga.Reason),
            RetryOrFail(When(EvaluationFailed, ctx => !ctx.Message.Permanent), ctx => $"transient evaluation failure: {ctx.Message.Reason}",
                ctx => ctx.Message.Evaluator),
            RetryOrFail(When(EvaluationTimeout.Received, ctx => ctx.Message.Attempt == ctx.Saga.EvaluationAttempts),
                ctx => $"no evaluation answer within {_options.EvaluationTimeout} (attempt {ctx.Saga.EvaluationAttempts})", _ => SystemActor),
            RefuseRollback(),
            RefuseApproval(),
            RefuseRejection(),
            Ignore(TrainingCompleted),
            Ignore(RollbackRejected),
            Ignore(RestoreChampion),
            Ignore(ModelDeployed),
            Ignore(DeploymentFailed),
            Ignore(ModelSuperseded),
            RefuseRolloutCommand());

    /// <summary>A transient failure or a silent evaluator: asked again while attempts are left, else Failed with the reason.</summary>
    EventActivityBinder<ModelLifecycleState, T> RetryOrFail<T>(
        EventActivityBinder<ModelLifecycleState, T> binder,
        Func<BehaviorContext<ModelLifecycleState, T>, string> why,
        Func<BehaviorContext<ModelLifecycleState, T>, string?> actor)
        where T : class =>
        binder.IfElse(ctx => ctx.Saga.EvaluationAttempts < _options.MaxEvaluationAttempts,
            retry => retry
                .Audit(_max, actor, ctx => $"{why(ctx)}; asking again (attempt {ctx.Saga.EvaluationAttempts + 1} of {_options.MaxEvaluationAttempts})")
                .Then(ctx => ctx.Saga.EvaluationAttempts++)
                .Send(_evaluateAddress, ctx => LifecycleMessages.Evaluate(ctx.Saga))
                .Schedule(EvaluationTimeout, ctx => LifecycleMessages.EvaluationTimer(ctx.Saga)),
            fail => fail
                .Unschedule(EvaluationTimeout)
                .Then(ctx => ctx.Saga.Reason = $"{why(ctx)}; gave up after {ctx.Saga.EvaluationAttempts} attempt(s)")
                .TransitionTo(Failed)
                .Audit(_max, actor, ctx => ctx.Saga.Reason));

    /// <summary>The gate's decision, made once per evaluation and kept on the context (the audit record reads it there).</summary>
    PromotionDecision Gate(BehaviorContext<ModelLifecycleState, ModelEvaluated> ctx) =>
        ctx.GetOrAddPayload(() => _policy.Evaluate(ctx.Saga.ModelName, ctx.Message.Metrics, ctx.Message.Champion?.Metrics));

    static void Accept(ModelLifecycleState saga, TrainingCompleted message)
    {
        saga.ModelName = message.ModelName;
        saga.ModelVersion = message.ModelVersion;
        saga.RunId = message.RunId;
        saga.Artifact = new ModelArtifact
        {
            Uri = message.ArtifactUri ?? string.Empty,
            Format = message.ArtifactFormat ?? string.Empty,
            Sha256 = message.ArtifactSha256?.ToLowerInvariant() ?? string.Empty,
        };
        saga.ValidationSetUri = message.ValidationSetUri;
        saga.Task = message.Task;
        saga.Producer = message.Producer;
        saga.ProducedAt = message.ProducedAt;
        saga.TrainingMetrics = message.TrainingMetrics is null ? [] : new Dictionary<string, double>(message.TrainingMetrics);
        saga.CreatedAt = DateTimeOffset.UtcNow;
    }

    static void Record(ModelLifecycleState saga, ModelEvaluated message)
    {
        saga.Metrics = new Dictionary<string, double>(message.Metrics);
        // Kept only when square and at most 100 classes: the saga's row stays small whatever an evaluator sends.
        saga.ConfusionMatrix = message.ConfusionMatrix is { Count: > 0 and <= 100 } m && m.All(r => r.Count == m.Count)
            ? m.Select(r => r.ToArray()).ToArray()
            : null;
        saga.ChampionAtEvaluation = message.Champion?.ModelVersion;
        saga.EvaluationSetUri = message.EvaluationSetUri;
        saga.ProducerSuppliedData = message.ProducerSuppliedData;
    }
}
