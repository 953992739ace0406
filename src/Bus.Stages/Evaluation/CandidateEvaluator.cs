using Bus.Contracts;
using Bus.Ml;
using Bus.Ml.Data;
using Bus.Registry;
using Bus.Shared;

namespace Bus.Stages.Evaluation;

/// <summary>
/// Measures a candidate, then the champion of the same name (when another version holds the production alias), on one
/// evaluation set, each model loaded, converted and checked through the artifact store and run batch by batch.
/// </summary>
public sealed class CandidateEvaluator(S3ArtifactStore store, ModelRegistry registry)
{
    public async Task<CandidateEvaluation> EvaluateAsync(EvaluateModel m, ResolvedEvaluationPolicy policy, EvaluationPlan plan, EvaluationData data,
        ArtifactLimits limits, CancellationToken deadline)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(plan);
        var candidate = new ArtifactReference(m.Artifact.Uri, m.Artifact.Format, m.Artifact.Sha256);
        var metrics = await Measure(candidate, policy, data, plan.Task, limits, "the candidate", deadline, m.ModelName, m.ModelVersion, "candidate")
            .ConfigureAwait(false);

        if (await registry.ChampionAsync(m.ModelName, deadline).ConfigureAwait(false) is not { } alias || alias.ModelVersionId == m.ModelVersionId)
            return new CandidateEvaluation(metrics, null, null);
        EvaluationResult championMetrics;
        try
        {
            championMetrics = await Measure(alias.Artifact, policy, data, plan.Task, limits, $"the champion {alias.ModelVersion}", deadline, m.ModelName,
                alias.ModelVersion, "champion").ConfigureAwait(false);
        }
        catch (ModelConversionException ex)
        {
            // The champion's problem, not the candidate's (its artifact was overwritten or deleted after it was deployed).
            var problem = $"the champion {alias.ModelVersion}'s artifact cannot be used: {ex.Message}";
            if (policy.FailWhenChampionUnusable)
                throw new ChampionUnusableException($"{problem} (Bus:Evaluation FailWhenChampionUnusable)", ex);
            return new CandidateEvaluation(metrics, null, problem);
        }

        return new CandidateEvaluation(metrics, new ChampionReference
        {
            ModelVersionId = alias.ModelVersionId,
            ModelVersion = alias.ModelVersion,
            Artifact = new ModelArtifact { Uri = alias.Artifact.Uri, Format = alias.Artifact.Format, Sha256 = alias.Artifact.Sha256 },
            Metrics = championMetrics.Metrics,
        }, null);
    }

    /// <summary>Loads and runs one model; anything it throws that is not transient is that model's fault, reported with the reason.</summary>
    async Task<EvaluationResult> Measure(ArtifactReference artifact, ResolvedEvaluationPolicy policy, EvaluationData data, string task, ArtifactLimits limits,
        string who, CancellationToken deadline, string modelName, string version, string role)
    {
        using var span = StageTracing.Start("evaluate", modelName, version, role);
        span?.SetTag("bus.artifact.uri", artifact.Uri);
        span?.SetTag("bus.task", task);
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var onnx = await store.LoadOnnxAsync(artifact, limits, policy.AllowControlFlow, deadline).ConfigureAwait(false);
            using var model = OnnxModel.Load(onnx);
            var metrics = Evaluator.Evaluate(model, data, task, policy.Threshold, cancellationToken: deadline, limits: limits);
            span?.SetTag("bus.samples", metrics.SampleCount);
            StageMetrics.Evaluated(modelName, role, System.Diagnostics.Stopwatch.GetElapsedTime(started), metrics.SampleCount);
            return metrics;
        }
        catch (Exception ex) when (ex is not (ModelConversionException or OperationCanceledException) && !Transient.Is(ex))
        {
            SpanErrors.Record(span, ex);
            throw new ModelConversionException($"{who} could not be evaluated: {ex.GetType().Name}: {ex.Message}", ex);
        }
        catch (Exception ex)
        {
            SpanErrors.Record(span, ex);
            throw;
        }
    }
}
