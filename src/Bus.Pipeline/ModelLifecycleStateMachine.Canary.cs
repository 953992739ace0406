using Bus.Contracts;
using Bus.Pipeline.Rollout;
using MassTransit;

namespace Bus.Pipeline;

// Canary and Shadow: a promoted version takes a growing share of live traffic (Canary), or answers a copy of it that no
// client sees (Shadow), judged on what the serving replicas measure, until it is promoted (the alias moves, as for any
// deployment) or a guardrail ends it while the champion never stopped serving.
public sealed partial class ModelLifecycleStateMachine
{
    /// <summary>Approved with a stepped rollout: the first tick begins step 1.</summary>
    void WhenRolloutBegins() =>
        During(Approved,
            When(RolloutTimer.Received, ctx => ctx.Saga.Rollout is { Step: 0 })
                .Unschedule(StageTimeout)
                .Then(ctx => BeginStep(ctx.Saga, 1))
                .Publish(ctx => LifecycleMessages.RolloutStep(ctx.Saga, RolloutPolicy(ctx.Saga)))
                .Schedule(RolloutTimer, ctx => LifecycleMessages.RolloutTick(ctx.Saga), ctx => RolloutPolicy(ctx.Saga).JudgmentInterval)
                .IfElse(ctx => ctx.Saga.Rollout!.Mode == ResolvedRolloutPolicy.ShadowMode,
                    shadow => shadow.TransitionTo(Shadow),
                    canary => canary.TransitionTo(Canary))
                .Audit(_max, _ => SystemActor, ctx => $"rollout started: {RolloutPolicy(ctx.Saga).Describe()}"),
            // A tick that was on its way when the rollout was promoted.
            When(RolloutTimer.Received, ctx => ctx.Saga.Rollout is not { Step: 0 }).Then(_ => { }),
            Ignore(ServingReport));

    /// <summary>A rollout command for a version that is not rolling out: refused with the reason, and the refusal recorded.</summary>
    EventActivityBinder<ModelLifecycleState, RolloutCommand> RefuseRolloutCommand() =>
        When(RolloutCommand)
            .Publish(ctx => LifecycleMessages.RolloutRefused(ctx.Saga, ctx.Message, $"no rollout is in progress: the version is {ctx.Saga.CurrentState}"))
            .Audit(_max, ctx => ctx.Message.RequestedBy, ctx => $"rollout {ctx.Message.Action} refused: no rollout is in progress");

    void DuringCanary() =>
        During(Canary, Shadow, [
            When(ServingReport, ctx => RefusedReport(ctx) is not null)
                .Then(ctx => LogContext.Warning?.Log("Refused a serving report from {Replica} for {ModelName} {ModelVersion}: {Reason}",
                    ctx.Message.Replica, ctx.Saga.ModelName, ctx.Saga.ModelVersion, RefusedReport(ctx))),
            When(ServingReport, ctx => RefusedReport(ctx) is null)
                .Then(ctx => Tally(ctx.Saga.Rollout!, ctx.Message)),
            When(RolloutTimer.Received, ctx => ctx.Saga.Rollout!.Paused && !PausedTooLong(ctx.Saga))
                .Publish(ctx => LifecycleMessages.RolloutStep(ctx.Saga, RolloutPolicy(ctx.Saga)))
                .Schedule(RolloutTimer, ctx => LifecycleMessages.RolloutTick(ctx.Saga), ctx => RolloutPolicy(ctx.Saga).JudgmentInterval),
            // A hold is an operator's, but not for ever: nothing strands a version.
            Abort(When(RolloutTimer.Received, ctx => ctx.Saga.Rollout!.Paused && PausedTooLong(ctx.Saga)),
                ctx => $"rollout stopped at {ctx.Saga.Rollout!.TrafficPercent}%: paused past the step's timeout of {RolloutPolicy(ctx.Saga).StepTimeout} " +
                    "(Bus:Lifecycle:Rollout StepTimeout); the champion kept serving", _ => SystemActor),
            When(RolloutTimer.Received, ctx => !ctx.Saga.Rollout!.Paused)
                .Then(ctx => ctx.GetOrAddPayload(() => Judge(ctx.Saga)))
                .Audit(_max, _ => SystemActor, ctx => JudgmentText(ctx.Saga, ctx.GetPayload<Judged>()))
                .IfElse(ctx => ctx.GetPayload<Judged>().Next == RolloutNext.Abort,
                    abort => Abort(abort, ctx => ctx.GetPayload<Judged>().Reason!, _ => SystemActor),
                    go => go.IfElse(ctx => ctx.GetPayload<Judged>().Next == RolloutNext.Promote,
                        promote => PromoteRollout(promote, _ => SystemActor, ctx => $"rollout promoted: every step baked with its judgments passing"),
                        stay => stay
                            .If(ctx => ctx.GetPayload<Judged>().Next == RolloutNext.NextStep, next => next
                                .Then(ctx => BeginStep(ctx.Saga, ctx.Saga.Rollout!.Step + 1))
                                .Audit(_max, _ => SystemActor, ctx => $"step {ctx.Saga.Rollout!.Step}: the candidate takes {ctx.Saga.Rollout.TrafficPercent}%"))
                            .Publish(ctx => LifecycleMessages.RolloutStep(ctx.Saga, RolloutPolicy(ctx.Saga)))
                            .Schedule(RolloutTimer, ctx => LifecycleMessages.RolloutTick(ctx.Saga), ctx => RolloutPolicy(ctx.Saga).JudgmentInterval))),
            // The refusal comes first: the Whens below run one after another, and the ones before would change what it sees.
            When(RolloutCommand, ctx => RolloutCommandProblem(ctx.Saga, ctx.Message) is not null)
                .Publish(ctx => LifecycleMessages.RolloutRefused(ctx.Saga, ctx.Message, RolloutCommandProblem(ctx.Saga, ctx.Message)!))
                .Audit(_max, ctx => ctx.Message.RequestedBy, ctx => $"rollout {ctx.Message.Action} refused: {RolloutCommandProblem(ctx.Saga, ctx.Message)}"),
            When(RolloutCommand, ctx => ctx.Message.Action == RolloutActions.Pause && !ctx.Saga.Rollout!.Paused)
                .Then(ctx => ctx.Saga.Rollout!.Paused = true)
                .Audit(_max, ctx => ctx.Message.RequestedBy, ctx => $"rollout paused at {ctx.Saga.Rollout!.TrafficPercent}%: {ctx.Message.Reason}"),
            When(RolloutCommand, ctx => ctx.Message.Action == RolloutActions.Resume && ctx.Saga.Rollout!.Paused)
                .Then(ctx =>
                {
                    ctx.Saga.Rollout!.Paused = false;
                    ctx.Saga.Rollout.StepStartedAt = ctx.Saga.Rollout.BakingSince = DateTimeOffset.UtcNow;
                    ctx.Saga.Rollout.ResetStep();
                })
                .Audit(_max, ctx => ctx.Message.RequestedBy, ctx => $"rollout resumed at {ctx.Saga.Rollout!.TrafficPercent}%: {ctx.Message.Reason}"),
            PromoteRollout(When(RolloutCommand, ctx => ctx.Message.Action == RolloutActions.Promote),
                ctx => ctx.Message.RequestedBy, ctx => $"rollout promoted by {ctx.Message.RequestedBy}: {ctx.Message.Reason}"),
            Abort(When(RolloutCommand, ctx => ctx.Message.Action == RolloutActions.Abort),
                ctx => $"rollout aborted by {ctx.Message.RequestedBy}: {ctx.Message.Reason}; the champion keeps serving", ctx => ctx.Message.RequestedBy),
            RefuseRollback(),
            RefuseApproval(),
            RefuseRejection(),
            Ignore(StageTimeout.Received),
            Ignore(RestoreChampion),
            Ignore(RollbackRejected),
            Ignore(DeploymentFailed),
            .. PastEvaluation(),
        ]);

    /// <summary>The rollout ends well: replicas hear it, DeployModel moves the alias, and the version waits for it as any approved one.</summary>
    EventActivityBinder<ModelLifecycleState, T> PromoteRollout<T>(EventActivityBinder<ModelLifecycleState, T> binder,
        Func<BehaviorContext<ModelLifecycleState, T>, string> actor, Func<BehaviorContext<ModelLifecycleState, T>, string> detail)
        where T : class =>
        binder
            .Unschedule(RolloutTimer)
            .Publish(ctx => LifecycleMessages.RolloutEnded(ctx.Saga, RolloutOutcomes.Promoted, detail(ctx)))
            .Send(_deployAddress, ctx => LifecycleMessages.Deploy(ctx.Saga, DeploymentReason.Promotion))
            .Schedule(StageTimeout, ctx => LifecycleMessages.StageTimer(ctx.Saga, LifecycleStates.Approved), _ => _options.DeploymentTimeout)
            .TransitionTo(Approved)
            .Audit(_max, actor, detail);

    /// <summary>The rollout ends badly: replicas stop routing to the candidate, and the version is Failed with the reason.</summary>
    EventActivityBinder<ModelLifecycleState, T> Abort<T>(EventActivityBinder<ModelLifecycleState, T> binder,
        Func<BehaviorContext<ModelLifecycleState, T>, string> reason, Func<BehaviorContext<ModelLifecycleState, T>, string> actor)
        where T : class =>
        binder
            .Unschedule(RolloutTimer)
            .Then(ctx => ctx.Saga.Reason = reason(ctx))
            .Publish(ctx => LifecycleMessages.RolloutEnded(ctx.Saga, RolloutOutcomes.Aborted, ctx.Saga.Reason!))
            .TransitionTo(Failed)
            .Audit(_max, actor, ctx => ctx.Saga.Reason);

    ResolvedRolloutPolicy RolloutPolicy(ModelLifecycleState saga) => _options.Rollout.For(saga.ModelName);

    /// <summary>Whether a promoted version goes through a stepped rollout: its policy says so and a champion serves to compare it with.</summary>
    bool Stepped(ModelLifecycleState saga) => RolloutPolicy(saga).Stepped && saga.ChampionAtEvaluation is not null;

    static void BeginStep(ModelLifecycleState saga, int step)
    {
        var rollout = saga.Rollout!;
        rollout.Step = step;
        rollout.TrafficPercent = rollout.Steps[step - 1];
        rollout.StepStartedAt = rollout.BakingSince = DateTimeOffset.UtcNow;
        rollout.FailuresThisStep = 0;
        rollout.ResetStep();
    }

    /// <summary>Why a report cannot be judged (another candidate, impossible numbers, a window in the future); null when it can.</summary>
    static string? RefusedReport(BehaviorContext<ModelLifecycleState, ServingReport> ctx)
    {
        var (report, rollout) = (ctx.Message, ctx.Saga.Rollout!);
        if (report.Candidate.ModelVersionId != ctx.Saga.CorrelationId)
            return "its candidate is another version";
        if (report.ModelName != ctx.Saga.ModelName)
            return $"it is for model {report.ModelName}";
        if (report.WindowEnd > DateTimeOffset.UtcNow.AddMinutes(1) || report.WindowStart > report.WindowEnd)
            return $"its window {report.WindowStart:O} to {report.WindowEnd:O} is not in the past";
        if (report.WindowEnd < rollout.StepStartedAt)
            return "its window ended before this step began";
        return RolloutTally.Impossible(report.Candidate) is { } c ? $"the candidate's window has {c}"
            : RolloutTally.Impossible(report.Champion) is { } h ? $"the champion's window has {h}" : null;
    }

    static void Tally(RolloutProgress rollout, ServingReport report)
    {
        var key = $"{report.Replica}@{report.WindowStart:O}";
        if (rollout.Reports.Contains(key))
            return;
        rollout.Reports.Add(key);
        if (!rollout.Replicas.Contains(report.Replica))
            rollout.Replicas.Add(report.Replica);
        rollout.ChampionVersionId ??= report.Champion.ModelVersionId;
        rollout.Candidate.Add(report.Candidate);
        rollout.Champion.Add(report.Champion);
        rollout.StepCandidate.Add(report.Candidate);
        rollout.StepChampion.Add(report.Champion);
    }

    /// <summary>A judgment and what follows from it (carried as a payload from the judging activity to the ones that act on it).</summary>
    sealed record Judged(RolloutJudgment Judgment, RolloutNext Next, string? Reason, int Replicas);

    enum RolloutNext
    {
        Stay,
        NextStep,
        Promote,
        Abort,
    }

    Judged Judge(ModelLifecycleState saga)
    {
        var (policy, rollout, now) = (RolloutPolicy(saga), saga.Rollout!, DateTimeOffset.UtcNow);
        var judgment = RolloutJudge.Judge(policy, new RolloutJudge.Measured(rollout.Candidate, rollout.Champion, rollout.StepCandidate, rollout.StepChampion),
            saga.Task == EvaluationTasks.Regression);
        var replicas = rollout.Replicas.Count;
        rollout.Judgments++;
        rollout.ResetWindow();
        rollout.LastJudgment = judgment.Summary;
        if (judgment.Verdict != RolloutJudgment.Wait)
        {
            rollout.History.Add(new JudgmentPoint(now, rollout.Step, rollout.TrafficPercent, judgment.Verdict,
                judgment.Checks.Select(c => new GuardrailPoint(c.Name, double.IsFinite(c.Value) ? c.Value : 1e9, c.Threshold, c.Passed)).ToList()));
            if (rollout.History.Count > RolloutProgress.MaxHistory)
                rollout.History.RemoveAt(0);
        }
        if (judgment.Verdict == RolloutJudgment.Fail)
        {
            rollout.FailuresThisStep++;
            rollout.BakingSince = now;
            var failure = judgment.FirstFailure!;
            if (rollout.FailuresThisStep >= policy.FailureLimit)
                return new Judged(judgment, RolloutNext.Abort, $"rollout failed at {rollout.TrafficPercent}% on live traffic: {failure.Text} " +
                    $"({rollout.FailuresThisStep} failed judgment(s), the limit is {policy.FailureLimit}); the champion kept serving", replicas);
            return new Judged(judgment, RolloutNext.Stay, null, replicas);
        }

        if (judgment.Verdict == RolloutJudgment.Pass && now - rollout.BakingSince >= policy.BakeTime)
            return new Judged(judgment, rollout.Step >= rollout.Steps.Count ? RolloutNext.Promote : RolloutNext.NextStep, null, replicas);
        if (now - rollout.StepStartedAt >= policy.StepTimeout)
            return new Judged(judgment, RolloutNext.Abort, $"rollout stopped at {rollout.TrafficPercent}%: the step did not bake within its timeout of " +
                $"{policy.StepTimeout} (Bus:Lifecycle:Rollout StepTimeout); last judgment: {judgment.Summary}", replicas);
        return new Judged(judgment, RolloutNext.Stay, null, replicas);
    }

    bool PausedTooLong(ModelLifecycleState saga) => DateTimeOffset.UtcNow - saga.Rollout!.StepStartedAt >= RolloutPolicy(saga).StepTimeout;

    static string JudgmentText(ModelLifecycleState saga, Judged judged) =>
        $"judgment {saga.Rollout!.Judgments} at {saga.Rollout.TrafficPercent}% ({judged.Replicas} replica(s) reporting): {judged.Judgment.Summary}";

    static string? RolloutCommandProblem(ModelLifecycleState saga, RolloutCommand command) => command.Action switch
    {
        RolloutActions.Pause when saga.Rollout!.Paused => "the rollout is already paused",
        RolloutActions.Resume when !saga.Rollout!.Paused => "the rollout is not paused",
        RolloutActions.Pause or RolloutActions.Resume or RolloutActions.Promote or RolloutActions.Abort => null,
        _ => $"unknown action '{command.Action}' ({string.Join(", ", RolloutActions.All)})",
    };
}
