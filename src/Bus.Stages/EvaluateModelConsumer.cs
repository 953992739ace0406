using Bus.Contracts;
using Bus.Ml;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Bus.Stages;

/// <summary>
/// Evaluates a model version on its validation set and the champion of the same name on the same data.
/// Permanent problems (integrity, corrupt or unsupported model, shape mismatch, NaN) are reported once as
/// <see cref="EvaluationFailed"/>; transient ones are retried, then reported as transient.
/// </summary>
public sealed class EvaluateModelConsumer(S3ArtifactStore store, ModelRegistry registry, StageIdentity identity, ILogger<EvaluateModelConsumer> logger)
    : IConsumer<EvaluateModel>
{
    public async Task Consume(ConsumeContext<EvaluateModel> context)
    {
        var m = context.Message;
        try
        {
            if (m.ValidationSetUri is null)
                throw new ModelConversionException("the announcement has no validationSetUri to evaluate on");
            var set = ValidationSet.Parse(await store.ReadAsync(m.ValidationSetUri, context.CancellationToken));
            var artifact = new ArtifactReference(m.Artifact.Uri, m.Artifact.Format, m.Artifact.Sha256);
            using var model = OnnxModel.Load(await store.LoadOnnxAsync(artifact, context.CancellationToken));
            var metrics = Evaluator.Evaluate(model, set);

            ChampionReference? champion = null;
            if (await registry.ChampionAsync(m.ModelName, context.CancellationToken) is { } alias && alias.ModelVersionId != m.ModelVersionId)
            {
                using var championModel = OnnxModel.Load(await store.LoadOnnxAsync(alias.Artifact, context.CancellationToken));
                var championMetrics = Evaluator.Evaluate(championModel, set);
                champion = new ChampionReference
                {
                    ModelVersionId = alias.ModelVersionId,
                    ModelVersion = alias.ModelVersion,
                    Artifact = new ModelArtifact { Uri = alias.Artifact.Uri, Format = alias.Artifact.Format, Sha256 = alias.Artifact.Sha256 },
                    Metrics = championMetrics.ToDictionary(),
                };
            }

            logger.LogInformation("Evaluated {ModelName} {ModelVersion}: accuracy {Accuracy:F4} on {Samples} samples", m.ModelName, m.ModelVersion, metrics.Accuracy, metrics.SampleCount);
            await context.Publish(new ModelEvaluated
            {
                ModelVersionId = m.ModelVersionId,
                ModelName = m.ModelName,
                ModelVersion = m.ModelVersion,
                Metrics = metrics.ToDictionary(),
                Champion = champion,
                SampleCount = metrics.SampleCount,
                EvaluatedAt = DateTimeOffset.UtcNow,
                Evaluator = identity.Name,
            });
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

public sealed class EvaluateModelConsumerDefinition : ConsumerDefinition<EvaluateModelConsumer>
{
    public EvaluateModelConsumerDefinition()
    {
        EndpointName = "evaluate-model";
        ConcurrentMessageLimit = 2;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<EvaluateModelConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(Transient.Configure);
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
