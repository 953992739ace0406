using Bus.Contracts;
using Bus.Ml;
using Bus.Ml.Data;
using Bus.Registry;
using Bus.Shared;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bus.Stages.Evaluation;

/// <summary>
/// Evaluates a model version, and the champion of the same name, on the data its policy names (the governed set, or
/// the producer's where the policy allows it). Every problem the candidate causes (a location outside the allow-list,
/// integrity, a corrupt, oversized or unsupported model, shape mismatch, NaN, an inference past the deadline) is
/// reported once as a permanent <see cref="EvaluationFailed"/> with the reason; transient ones are retried, then
/// reported as transient.
/// </summary>
public sealed class EvaluateModelConsumer(
    S3ArtifactStore store, ModelRegistry registry, StageIdentity identity, IOptions<EvaluationOptions> options, ILogger<EvaluateModelConsumer> logger)
    : IConsumer<EvaluateModel>
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
            if (ResolvedEvaluationPolicy.Outside(m.Artifact.Uri, policy.ArtifactLocations, "the artifact") is { } refused)
                throw new ModelConversionException(refused);
            var (setUri, producerSupplied) = DataOf(m, policy);

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            deadline.CancelAfter(settings.Timeout);
            var evaluation = await Evaluate(m, policy, setUri, settings.Limits, deadline.Token);

            var headline = EvaluationTask.Headline(evaluation.Metrics.Task);
            logger.LogInformation("Evaluated {ModelName} {ModelVersion} as {Task}: {Metric} {Value:F4} on {Samples} samples of {Set}",
                m.ModelName, m.ModelVersion, evaluation.Metrics.Task, headline, evaluation.Metrics.Metrics.GetValueOrDefault(headline),
                evaluation.Metrics.SampleCount, setUri);
            await context.Publish(new ModelEvaluated
            {
                ModelVersionId = m.ModelVersionId,
                ModelName = m.ModelName,
                ModelVersion = m.ModelVersion,
                Metrics = evaluation.Metrics.Metrics,
                Champion = evaluation.Champion,
                SampleCount = evaluation.Metrics.SampleCount,
                // Small enough to travel in the event (100 x 100 counts at most); the dashboard plots it.
                ConfusionMatrix = evaluation.Metrics.ConfusionMatrix is { Length: <= MaxConfusionClasses } matrix ? matrix : null,
                EvaluationSetUri = setUri,
                ProducerSuppliedData = producerSupplied,
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
        catch (ModelConversionException ex)
        {
            logger.LogWarning("Evaluation of {ModelName} {ModelVersion} failed permanently: {Reason}", m.ModelName, m.ModelVersion, ex.Message);
            await Fail(context, ex.Message, permanent: true);
        }
        catch (Exception ex) when (Transient.Is(ex) && Transient.IsLastAttempt(context))
        {
            await Fail(context, ex.Message, permanent: false);
        }
    }

    /// <summary>The governed set, unless the policy lets the producer choose and the announcement does.</summary>
    static (string Uri, bool ProducerSupplied) DataOf(EvaluateModel m, ResolvedEvaluationPolicy policy)
    {
        if (!policy.AllowProducerValidationSet || m.ValidationSetUri is null)
            return (policy.ValidationSetUri, false);
        return ResolvedEvaluationPolicy.Outside(m.ValidationSetUri, policy.DatasetLocations, "the producer-supplied validation set") is { } refused
            ? throw new ModelConversionException(refused)
            : (m.ValidationSetUri, true);
    }

    /// <summary>The policy's task when it fixes one (an announcement saying otherwise is refused), else the announcement's, else multiclass.</summary>
    static string TaskOf(EvaluateModel m, ResolvedEvaluationPolicy policy) => policy.Task switch
    {
        null => m.Task ?? EvaluationTask.Multiclass,
        var fixedTask when m.Task is null || m.Task == fixedTask => fixedTask,
        var fixedTask => throw new ModelConversionException(
            $"the announcement says task '{m.Task}' but the evaluation policy of {m.ModelName} fixes '{fixedTask}' (Bus:Evaluation Task)"),
    };

    /// <summary>
    /// Copies the set to a temporary file (bounded by the limit) and measures the candidate, then the champion, on it,
    /// each reading it batch by batch; the file is deleted afterwards whatever happens.
    /// </summary>
    async Task<(EvaluationResult Metrics, ChampionReference? Champion)> Evaluate(
        EvaluateModel m, ResolvedEvaluationPolicy policy, string setUri, ArtifactLimits limits, CancellationToken deadline)
    {
        var task = TaskOf(m, policy);
        var format = policy.DataFormat ?? EvaluationData.FormatOf(setUri) ?? throw new ModelConversionException(
            $"the evaluation set {setUri}: its format is not known from its extension ({string.Join(", ", EvaluationData.Formats)}); set " +
            "Bus:Evaluation DataFormat");
        var directory = options.Value.WorkDirectory is { Length: > 0 } work ? Directory.CreateDirectory(work).FullName : Path.GetTempPath();
        var file = Path.Combine(directory, $"bus-evaluation-{Guid.NewGuid():N}.{format}");
        try
        {
            await store.DownloadAsync(setUri, file, limits.MaxDataSetBytes, deadline);
            EvaluationData data;
            try
            {
                data = EvaluationData.Open(format, file, policy.Features, limits);
            }
            catch (ModelConversionException ex)
            {
                throw new ModelConversionException($"the evaluation set {setUri}: {ex.Message}", ex);
            }

            using (data)
            {
                var candidate = new ArtifactReference(m.Artifact.Uri, m.Artifact.Format, m.Artifact.Sha256);
                var metrics = await Measure(candidate, policy, data, task, limits, "the candidate", deadline, m.ModelName, m.ModelVersion, "candidate");

                ChampionReference? champion = null;
                if (await registry.ChampionAsync(m.ModelName, deadline) is { } alias && alias.ModelVersionId != m.ModelVersionId)
                {
                    var championMetrics = await Measure(alias.Artifact, policy, data, task, limits, $"the champion {alias.ModelVersion}", deadline, m.ModelName,
                        alias.ModelVersion, "champion");
                    champion = new ChampionReference
                    {
                        ModelVersionId = alias.ModelVersionId,
                        ModelVersion = alias.ModelVersion,
                        Artifact = new ModelArtifact { Uri = alias.Artifact.Uri, Format = alias.Artifact.Format, Sha256 = alias.Artifact.Sha256 },
                        Metrics = championMetrics.Metrics,
                    };
                }

                return (metrics, champion);
            }
        }
        finally
        {
            File.Delete(file);
        }
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
            var onnx = await store.LoadOnnxAsync(artifact, limits, policy.AllowControlFlow, deadline);
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
