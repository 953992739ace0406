using Bus.Contracts;
using Bus.Ml;
using Bus.Ml.Data;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bus.Stages.Evaluation;

/// <summary>
/// Evaluates a model version, and the champion of the same name, on the data its policy names (the governed set, or
/// the producer's where the policy allows it): the bridge between the message and the work, which asks the model's
/// policy for the plan (<see cref="ResolvedEvaluationPolicy.Plan"/>), the data layer for a local copy of the set
/// (<see cref="LocalEvaluationSet"/>) and the <see cref="CandidateEvaluator"/> for the metrics. Every problem the
/// candidate causes (a location outside the allow-list,
/// integrity, a corrupt, oversized or unsupported model, shape mismatch, NaN, an inference past the deadline) is
/// reported once as a permanent <see cref="EvaluationFailed"/> with the reason; transient ones are retried, then
/// reported as transient.
/// </summary>
public sealed class EvaluateModelConsumer(S3ArtifactStore store, CandidateEvaluator evaluator, StageIdentity identity, IOptions<EvaluationOptions> options,
    ILogger<EvaluateModelConsumer> logger) : IConsumer<EvaluateModel>
{
    /// <summary>The most classes whose confusion matrix goes with ModelEvaluated.</summary>
    public const int MaxConfusionClasses = 100;

    public async Task Consume(ConsumeContext<EvaluateModel> context)
    {
        var m = context.Message;
        var settings = options.Value;
        try
        {
            var policy = settings.For(m.ModelName);
            var plan = policy.Plan(m);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            deadline.CancelAfter(settings.Timeout);
            CandidateEvaluation evaluation;
            using (var set = await LocalEvaluationSet.CopyAsync(store, plan.SetUri, plan.Format, settings.WorkDirectory, policy.Features, settings.Limits,
                deadline.Token))
                evaluation = await evaluator.EvaluateAsync(m, policy, plan, set.Data, settings.Limits, deadline.Token);

            var headline = EvaluationTask.Headline(evaluation.Metrics.Task);
            logger.LogInformation("Evaluated {ModelName} {ModelVersion} as {Task}: {Metric} {Value:F4} on {Samples} samples of {Set}",
                m.ModelName, m.ModelVersion, evaluation.Metrics.Task, headline, evaluation.Metrics.Metrics.GetValueOrDefault(headline),
                evaluation.Metrics.SampleCount, plan.SetUri);
            await context.Publish(new ModelEvaluated
            {
                ModelVersionId = m.ModelVersionId,
                ModelName = m.ModelName,
                ModelVersion = m.ModelVersion,
                Metrics = evaluation.Metrics.Metrics,
                Champion = evaluation.Champion,
                ChampionProblem = evaluation.ChampionProblem,
                SampleCount = evaluation.Metrics.SampleCount,
                // Small enough to travel in the event (100 x 100 counts at most); the dashboard plots it.
                ConfusionMatrix = evaluation.Metrics.ConfusionMatrix is { Length: <= MaxConfusionClasses } matrix ? matrix : null,
                EvaluationSetUri = plan.SetUri,
                ProducerSuppliedData = plan.ProducerSupplied,
                EvaluatedAt = DateTimeOffset.UtcNow,
                Evaluator = identity.Name,
            });
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            var reason = $"the evaluation ran past its deadline of {settings.Timeout} (Bus:Evaluation:Timeout) and was stopped";
            logger.LogWarning("Evaluation of {ModelName} {ModelVersion} failed permanently: {Reason}", m.ModelName, m.ModelVersion, reason);
            await Fail(context, reason, permanent: true);
        }
        catch (Exception ex) when (ex is ModelConversionException or EvaluationRefusedException or EvaluationSetException or ChampionUnusableException)
        {
            logger.LogWarning("Evaluation of {ModelName} {ModelVersion} failed permanently: {Reason}", m.ModelName, m.ModelVersion, ex.Message);
            await Fail(context, ex.Message, permanent: true);
        }
        catch (Exception ex) when (Transient.Is(ex) && Transient.IsLastAttempt(context))
        {
            await Fail(context, ex.Message, permanent: false);
        }
    }

    Task Fail(ConsumeContext<EvaluateModel> context, string reason, bool permanent) => context.Publish(new EvaluationFailed
    {
        ModelVersionId = context.Message.ModelVersionId,
        ModelName = context.Message.ModelName,
        ModelVersion = context.Message.ModelVersion,
        Reason = reason,
        Permanent = permanent,
        FailedAt = DateTimeOffset.UtcNow,
        Evaluator = identity.Name,
    });
}
